'use client';
/**
 * The model registry: registered ONNX segmentation models (tRPC models.list) and the upload form
 * (POST /api/models, multipart: `model` = the .onnx file, `card` = the model card JSON). The card
 * JSON textarea is the source of truth; the form fields read and edit it.
 */
import { useMemo, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { defaultCard, type ModelCard } from '@/lib/model/card';
import { useTRPC, type RouterOutputs } from '../_components/trpc';
import { fmtBytes, fmtDate } from '../_components/format';
import { toUploadError, uploadPercent, xhrPost, type UploadError } from '../_components/xhr-upload';
import { UploadErrorBox, UploadProgress } from '../_components/UploadFeedback';

type Model = RouterOutputs['models']['list'][number];

type UploadState =
  | { phase: 'idle' }
  | { phase: 'uploading'; loaded: number; total: number }
  | { phase: 'checking' }
  | { phase: 'done'; id: string; name: string; version: string; unsupportedOps: string[] }
  | { phase: 'error'; error: UploadError };

/** POSTs the model and its card with XMLHttpRequest so that upload progress can be shown. */
function postModel(file: File, cardJson: string, onProgress: (loaded: number, total: number) => void): Promise<{ id: string; unsupportedOps: string[] }> {
  const form = new FormData();
  form.set('model', file, file.name);
  form.set('card', cardJson);
  return xhrPost({
    url: '/api/models',
    body: form,
    size: file.size,
    okStatus: [201],
    read: (answer) => {
      const body = answer as { id?: string; unsupportedOps?: string[] };
      return body.id ? { id: body.id, unsupportedOps: body.unsupportedOps ?? [] } : null;
    },
    missing: 'The server accepted the model but did not return its id.',
    onProgress,
  });
}

const DEFAULT_NAME = 'my-model';

function classesToLines(card: ModelCard): string {
  return (card.output?.classes ?? []).map((c) => `${c.id}:${c.name}:${c.colour}`).join('\n');
}

/** "id:name:#colour" per line → classes (throws a readable message on a bad line). */
function linesToClasses(text: string): ModelCard['output']['classes'] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((line, i) => {
      const m = /^(\d+)\s*:\s*(.+?)\s*:\s*(#[0-9a-fA-F]{6})$/.exec(line);
      if (!m) throw new Error(`line ${i + 1} ("${line}") is not id:name:#rrggbb`);
      return { id: Number(m[1]), name: m[2], colour: m[3].toLowerCase() };
    });
}

function runsOn(m: Pick<Model, 'unsupportedOps'>): string {
  return m.unsupportedOps.length === 0 ? 'tessera engine' : `onnxruntime (unsupported: ${m.unsupportedOps.join(', ')})`;
}

export default function ModelsPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const models = useQuery(trpc.models.list.queryOptions());
  const del = useMutation(trpc.models.delete.mutationOptions({ onSuccess: () => queryClient.invalidateQueries(trpc.models.list.queryFilter()) }));

  return (
    <div data-testid="models-page">
      <div className="page-head">
        <div>
          <h1>Models</h1>
          <div className="subtle">ONNX segmentation networks with their model cards. Run them on a study from the viewer.</div>
        </div>
      </div>
      <div className="panel" style={{ marginBottom: 16, overflowX: 'auto' }}>
        {models.isPending && <div className="empty">Loading models…</div>}
        {models.isError && (
          <div className="alert alert-error" role="alert">
            Could not load models: {models.error.message}
          </div>
        )}
        {del.isError && (
          <div className="alert alert-error" role="alert" data-testid="model-delete-error">
            Could not delete: {del.error.message}
          </div>
        )}
        {models.data && (
          <table className="table" data-testid="models-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Version</th>
                <th>Task</th>
                <th>Classes</th>
                <th>Licence</th>
                <th>sha256</th>
                <th className="num">Size</th>
                <th>Runs on</th>
                <th>Added</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {models.data.length === 0 && (
                <tr>
                  <td colSpan={10} className="subtle">
                    No models yet: register one below.
                  </td>
                </tr>
              )}
              {models.data.map((m) => (
                <tr key={m.id} data-testid={`model-row-${m.name}`} data-model-id={m.id} data-version={m.version}>
                  <td>
                    <strong>{m.name}</strong>
                    {m.card.description ? <div className="subtle small">{m.card.description}</div> : null}
                  </td>
                  <td>{m.version}</td>
                  <td>{m.task}</td>
                  <td>
                    {m.card.output.classes.map((c) => (
                      <div key={c.id} className="small" data-testid="model-class">
                        <span className="swatch" style={{ background: c.colour }} aria-hidden="true" />
                        {c.id}: {c.name}
                      </div>
                    ))}
                  </td>
                  <td>{m.licence}</td>
                  <td>
                    <code title={m.sha256}>{m.sha256.slice(0, 12)}…</code>
                  </td>
                  <td className="num">{fmtBytes(m.bytes)}</td>
                  <td data-testid="model-runs-on">{runsOn(m)}</td>
                  <td className="small">{fmtDate(m.createdAt)}</td>
                  <td>
                    <a className="btn btn-small" href={`/api/models/${m.id}/onnx`} download>
                      .onnx
                    </a>{' '}
                    <button
                      type="button"
                      className="btn btn-small"
                      data-testid={`model-delete-${m.name}`}
                      disabled={del.isPending}
                      onClick={() => {
                        if (window.confirm(`Delete ${m.name} ${m.version}? Its runs are kept.`)) del.mutate({ id: m.id });
                      }}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <UploadForm onDone={() => queryClient.invalidateQueries(trpc.models.list.queryFilter())} />
    </div>
  );
}

function UploadForm({ onDone }: { onDone: () => unknown }) {
  const fileRef = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [text, setText] = useState(() => JSON.stringify(defaultCard(DEFAULT_NAME), null, 2));
  /** The classes textarea's own text while it is edited (null: shows the card's classes). */
  const [classesDraft, setClassesDraft] = useState<string | null>(null);
  const [classesError, setClassesError] = useState<string | null>(null);
  const [state, setState] = useState<UploadState>({ phase: 'idle' });
  const busy = state.phase === 'uploading' || state.phase === 'checking';

  const parsed = useMemo((): { card: ModelCard | null; error: string | null } => {
    try {
      const v: unknown = JSON.parse(text);
      if (!v || typeof v !== 'object' || Array.isArray(v)) return { card: null, error: 'the card must be a JSON object' };
      return { card: v as ModelCard, error: null };
    } catch (e) {
      return { card: null, error: e instanceof Error ? e.message : String(e) };
    }
  }, [text]);
  const card = parsed.card;

  /** Applies a change to the card JSON (only while it parses). */
  const edit = (fn: (c: ModelCard) => ModelCard) => {
    if (!card) return;
    setState((s) => (s.phase === 'done' || s.phase === 'error' ? { phase: 'idle' } : s));
    setText(JSON.stringify(fn(structuredClone(card)), null, 2));
  };

  const chooseFile = (f: File | null) => {
    setFile(f);
    setState({ phase: 'idle' });
    if (f && card && (card.name === DEFAULT_NAME || !card.name)) edit((c) => ({ ...c, name: f.name.replace(/\.onnx$/i, '') }));
  };

  const submit = async () => {
    if (!file) {
      setState({ phase: 'error', error: { code: 'INVALID_ARGUMENT', message: 'Choose an .onnx file first.', where: 'model', status: 0 } });
      return;
    }
    setState({ phase: 'uploading', loaded: 0, total: file.size });
    try {
      const out = await postModel(file, text, (loaded, total) => setState(loaded >= total ? { phase: 'checking' } : { phase: 'uploading', loaded, total }));
      setState({ phase: 'done', id: out.id, name: card?.name ?? '', version: card?.version ?? '', unsupportedOps: out.unsupportedOps });
      await onDone();
    } catch (e) {
      setState({ phase: 'error', error: toUploadError(e) });
    }
  };

  const pct = uploadPercent(state, 'checking');
  const norm = card?.input?.normalisation;
  const spacingText = card?.input?.spacing ? card.input.spacing.join(', ') : '';

  return (
    <section className="panel" data-testid="model-upload">
      <h2 style={{ marginTop: 0 }}>Register a model</h2>
      <div className="subtle" style={{ marginBottom: 10 }}>
        The file is parsed as ONNX and checked against the card (input channels, output classes) before anything is stored. Models with
        operators the tessera engine lacks are accepted and run on onnxruntime.
      </div>
      <label className="field" style={{ marginBottom: 12 }}>
        ONNX file
        <input ref={fileRef} type="file" accept=".onnx,application/octet-stream" data-testid="model-upload-file" onChange={(e) => chooseFile(e.target.files?.[0] ?? null)} />
      </label>
      {card ? (
        <div className="param-grid">
          <label className="field">
            Name
            <input type="text" value={card.name ?? ''} data-testid="model-card-name" onChange={(e) => edit((c) => ({ ...c, name: e.target.value }))} />
          </label>
          <label className="field">
            Version
            <input type="text" value={card.version ?? ''} data-testid="model-card-version" onChange={(e) => edit((c) => ({ ...c, version: e.target.value }))} />
          </label>
          <label className="field">
            Task
            <select value={card.task} onChange={(e) => edit((c) => ({ ...c, task: e.target.value as ModelCard['task'] }))}>
              <option value="segmentation">segmentation</option>
              <option value="nuclei">nuclei</option>
              <option value="cells">cells</option>
            </select>
          </label>
          <label className="field">
            Licence
            <input type="text" value={card.licence ?? ''} data-testid="model-card-licence" onChange={(e) => edit((c) => ({ ...c, licence: e.target.value }))} />
          </label>
          <label className="field">
            Normalisation
            <select
              value={norm?.kind ?? 'minmax'}
              onChange={(e) =>
                edit((c) => ({
                  ...c,
                  input: {
                    ...c.input,
                    normalisation: e.target.value === 'percentile' ? { kind: 'percentile', low: 1, high: 99 } : { kind: e.target.value as 'minmax' | 'zscore' },
                  },
                }))
              }
            >
              <option value="minmax">min-max to [0, 1]</option>
              <option value="zscore">z-score</option>
              <option value="percentile">percentile clip, then min-max</option>
            </select>
          </label>
          <label className="field">
            Axis order
            <select value={card.input?.axisOrder ?? 'file'} onChange={(e) => edit((c) => ({ ...c, input: { ...c.input, axisOrder: e.target.value as ModelCard['input']['axisOrder'] } }))}>
              <option value="file">file ([1,C,z,y,x], memory order)</option>
              <option value="xyz">xyz ([1,C,x,y,z])</option>
              <option value="zyx">zyx (RAS+ reoriented, then file order)</option>
            </select>
          </label>
          {norm?.kind === 'percentile' && (
            <>
              <label className="field">
                Low percentile
                <input type="number" value={norm.low} onChange={(e) => edit((c) => ({ ...c, input: { ...c.input, normalisation: { kind: 'percentile', low: Number(e.target.value), high: norm.high } } }))} />
              </label>
              <label className="field">
                High percentile
                <input type="number" value={norm.high} onChange={(e) => edit((c) => ({ ...c, input: { ...c.input, normalisation: { kind: 'percentile', low: norm.low, high: Number(e.target.value) } } }))} />
              </label>
            </>
          )}
          <label className="field">
            Spacing x, y, z (empty = native grid)
            <input
              type="text"
              defaultValue={spacingText}
              key={spacingText}
              placeholder="e.g. 1, 1, 1"
              onBlur={(e) => {
                const v = e.target.value.trim();
                const nums = v ? v.split(/[\s,]+/).map(Number) : null;
                edit((c) => ({ ...c, input: { ...c.input, spacing: nums && nums.length === 3 && nums.every((n) => n > 0) ? (nums as [number, number, number]) : null } }));
              }}
            />
          </label>
          <label className="field">
            Instances
            <select
              value={card.output?.instances ?? 'none'}
              data-testid="model-card-instances"
              onChange={(e) =>
                edit((c) => {
                  const instances = e.target.value as ModelCard['output']['instances'];
                  // 'cell-pipeline' needs its block (lib/model/card.ts CellPipelineSchema); other kinds have none.
                  const { cellPipeline, ...rest } = c.output ?? ({} as ModelCard['output']);
                  return {
                    ...c,
                    output: instances === 'cell-pipeline' ? { ...rest, instances, cellPipeline: cellPipeline ?? { mode: 'distance' } } : { ...rest, instances },
                  };
                })
              }
            >
              <option value="none">none (class map only)</option>
              <option value="connected-components">connected components per class</option>
              <option value="cell-pipeline">cell pipeline (seeds + watershed on the network&apos;s maps)</option>
            </select>
          </label>
          {card.output?.instances === 'cell-pipeline' && (
            <label className="field">
              Cell pipeline mode
              <select
                value={card.output.cellPipeline?.mode ?? 'distance'}
                data-testid="model-card-cell-mode"
                onChange={(e) =>
                  edit((c) => ({
                    ...c,
                    output: { ...c.output, cellPipeline: { ...(c.output.cellPipeline ?? {}), mode: e.target.value as 'distance' | 'boundary' } },
                  }))
                }
              >
                <option value="distance">distance (nuclei: channel 2 = distance to the surface)</option>
                <option value="boundary">boundary (membrane-stained cells: channel 2 = boundary)</option>
              </select>
            </label>
          )}
          <label className="field" style={{ gridColumn: '1 / -1' }}>
            Classes, one per line as id:name:#colour (empty = class0… from the model&apos;s output channels)
            <textarea
              rows={4}
              data-testid="model-card-classes"
              value={classesDraft ?? classesToLines(card)}
              onFocus={() => setClassesDraft(classesToLines(card))}
              onBlur={() => {
                if (classesError === null) setClassesDraft(null);
              }}
              onChange={(e) => {
                const v = e.target.value;
                setClassesDraft(v);
                try {
                  const classes = linesToClasses(v);
                  setClassesError(null);
                  edit((c) => ({ ...c, output: { ...c.output, classes } }));
                } catch (err) {
                  setClassesError(err instanceof Error ? err.message : String(err));
                }
              }}
              style={{ fontFamily: 'monospace' }}
            />
            {classesError && <span className="subtle">Not applied: {classesError}</span>}
          </label>
        </div>
      ) : (
        <div className="alert alert-error" role="status">
          The card JSON does not parse ({parsed.error}); fix it below to use the form fields.
        </div>
      )}
      <label className="field" style={{ marginBottom: 12 }}>
        Model card (JSON)
        <textarea
          rows={16}
          value={text}
          onChange={(e) => {
            setText(e.target.value);
            setClassesDraft(null);
            setClassesError(null);
          }} data-testid="model-card-json" spellCheck={false} style={{ fontFamily: 'monospace', fontSize: 12 }} />
      </label>
      <button type="button" className="btn btn-primary" data-testid="model-upload-submit" disabled={busy} onClick={() => void submit()}>
        {busy ? 'Registering…' : 'Register model'}
      </button>

      {(state.phase === 'uploading' || state.phase === 'checking') && (
        <UploadProgress
          testId="model-upload-progress"
          pct={pct}
          label={state.phase === 'uploading' ? `Uploading — ${fmtBytes(state.loaded)} of ${fmtBytes(state.total)}` : 'Checking the model on the server…'}
        />
      )}
      {state.phase === 'done' && (
        <div className="alert alert-ok" role="status" data-testid="model-upload-done" data-model-id={state.id}>
          <strong>
            {state.name} {state.version}
          </strong>{' '}
          was registered. Runs on: {runsOn(state)}.
        </div>
      )}
      {/* test ids: model-upload-error, model-upload-error-message, -code, -where, -hint */}
      {state.phase === 'error' && <UploadErrorBox prefix="model-upload" title="Model rejected: " error={state.error} />}
    </section>
  );
}
