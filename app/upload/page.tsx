'use client';
import Link from 'next/link';
import { useCallback, useRef, useState, type DragEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../_components/trpc';
import { fmtBytes } from '../_components/format';

interface UploadError {
  code: string;
  message: string;
  where?: string;
  hint?: string;
  status: number;
}

type UploadState =
  | { phase: 'idle' }
  | { phase: 'uploading'; file: string; loaded: number; total: number }
  | { phase: 'processing'; file: string }
  | { phase: 'done'; file: string; studyId: string }
  | { phase: 'error'; file: string; error: UploadError };

function parseError(status: number, text: string): UploadError {
  try {
    const body = JSON.parse(text) as { error?: Partial<UploadError> };
    if (body && body.error && typeof body.error.message === 'string') {
      return {
        code: body.error.code ?? `HTTP_${status}`,
        message: body.error.message,
        where: body.error.where,
        hint: body.error.hint,
        status,
      };
    }
  } catch {
    /* not JSON */
  }
  return { code: `HTTP_${status}`, message: text.slice(0, 300) || `The server answered ${status}.`, status };
}

/** POSTs the raw bytes with XMLHttpRequest so that upload progress can be shown. */
function uploadFile(
  file: File,
  opts: { name?: string; modality?: string },
  onProgress: (loaded: number, total: number) => void,
): Promise<{ studyId: string }> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', '/api/upload');
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.setRequestHeader('x-filename', encodeURIComponent(file.name));
    if (opts.name) xhr.setRequestHeader('x-study-name', encodeURIComponent(opts.name));
    if (opts.modality) xhr.setRequestHeader('x-modality', encodeURIComponent(opts.modality));
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onload = () => {
      if (xhr.status === 201 || xhr.status === 200) {
        try {
          const body = JSON.parse(xhr.responseText) as { studyId?: string };
          if (body.studyId) return resolve({ studyId: body.studyId });
        } catch {
          /* fall through */
        }
        reject(parseError(xhr.status, 'The server accepted the upload but did not return a study id.'));
      } else {
        reject(parseError(xhr.status, xhr.responseText));
      }
    };
    xhr.onerror = () =>
      reject({ code: 'NETWORK', message: 'The upload did not reach the server.', hint: 'Check that the server is running and try again.', status: 0 });
    xhr.send(file);
  });
}

export default function UploadPage() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const inputRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);
  const [name, setName] = useState('');
  const [modality, setModality] = useState('');
  const [state, setState] = useState<UploadState>({ phase: 'idle' });
  const busy = state.phase === 'uploading' || state.phase === 'processing';

  const start = useCallback(
    async (file: File) => {
      setState({ phase: 'uploading', file: file.name, loaded: 0, total: file.size });
      try {
        const { studyId } = await uploadFile(file, { name: name.trim() || undefined, modality: modality.trim() || undefined }, (loaded, total) =>
          setState(loaded >= total ? { phase: 'processing', file: file.name } : { phase: 'uploading', file: file.name, loaded, total }),
        );
        setState({ phase: 'done', file: file.name, studyId });
        await queryClient.invalidateQueries(trpc.studies.list.queryFilter());
      } catch (e) {
        const err = (e && typeof e === 'object' && 'message' in e ? e : { code: 'UNKNOWN', message: String(e), status: 0 }) as UploadError;
        setState({ phase: 'error', file: file.name, error: err });
      } finally {
        if (inputRef.current) inputRef.current.value = '';
      }
    },
    [name, modality, queryClient, trpc],
  );

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setDragging(false);
    const file = e.dataTransfer.files?.[0];
    if (file && !busy) void start(file);
  };

  const pct = state.phase === 'uploading' ? Math.round((100 * state.loaded) / Math.max(1, state.total)) : state.phase === 'processing' ? 100 : 0;

  return (
    <div style={{ maxWidth: 760 }}>
      <div className="page-head">
        <div>
          <h1>Upload a volume or point cloud</h1>
          <div className="subtle">
            Volumes: NIfTI-1/2 (.nii or .nii.gz). Point clouds: PLY, PCD, LAS/LAZ, XYZ/CSV/TXT (per-point{' '}
            <code>instance</code>/<code>class</code>/<code>label</code> properties become the ground truth). The file is checked on the
            server before anything is stored.
          </div>
        </div>
      </div>
      <div className="panel">
        <div className="param-grid">
          <label className="field">
            Study name (optional)
            <input type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="defaults to the file name" data-testid="upload-name" />
          </label>
          <label className="field">
            Modality (optional)
            <input type="text" value={modality} onChange={(e) => setModality(e.target.value)} placeholder="e.g. MR, CT, fluorescence" />
          </label>
        </div>
        <div
          className={`dropzone${dragging ? ' dragging' : ''}`}
          data-testid="dropzone"
          role="button"
          tabIndex={0}
          onClick={() => !busy && inputRef.current?.click()}
          onKeyDown={(e) => {
            if ((e.key === 'Enter' || e.key === ' ') && !busy) inputRef.current?.click();
          }}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <strong>Drop a .nii / .nii.gz volume or a .ply / .pcd / .las / .laz / .xyz / .csv / .txt point cloud here</strong>
          <div className="subtle" style={{ marginTop: 6 }}>
            or click to choose a file
          </div>
          <input
            ref={inputRef}
            type="file"
            accept=".nii,.gz,.nii.gz,.ply,.pcd,.las,.laz,.xyz,.csv,.txt,application/gzip,application/octet-stream"
            data-testid="upload-input"
            style={{ display: 'none' }}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void start(file);
            }}
          />
        </div>

        {(state.phase === 'uploading' || state.phase === 'processing') && (
          <div style={{ marginTop: 14 }} data-testid="upload-progress">
            <div className="run-progress-head">
              <span>
                {state.phase === 'uploading'
                  ? `Uploading ${state.file} — ${fmtBytes(state.loaded)} of ${fmtBytes(state.total)}`
                  : `Checking ${state.file} on the server…`}
              </span>
              <span>{pct}%</span>
            </div>
            <div className="progress" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
              <div style={{ width: `${pct}%` }} />
            </div>
          </div>
        )}

        {state.phase === 'done' && (
          <div className="alert alert-ok" data-testid="upload-success" role="status">
            <strong>{state.file}</strong> was stored as a new study.{' '}
            <Link href={`/studies/${state.studyId}`} data-testid="upload-study-link">
              Open the study
            </Link>{' '}
            or go to the <Link href="/studies">study list</Link>.
          </div>
        )}

        {state.phase === 'error' && (
          <div className="alert alert-error" data-testid="upload-error" role="alert" data-code={state.error.code}>
            <strong>Upload rejected: </strong>
            <span data-testid="upload-error-message">{state.error.message}</span>
            <dl>
              <dt>File</dt>
              <dd>{state.file}</dd>
              <dt>Error</dt>
              <dd>
                <code data-testid="upload-error-code">{state.error.code}</code>
                {state.error.status ? <span className="subtle"> (HTTP {state.error.status})</span> : null}
              </dd>
              {state.error.where && (
                <>
                  <dt>Where</dt>
                  <dd data-testid="upload-error-where">{state.error.where}</dd>
                </>
              )}
              {state.error.hint && (
                <>
                  <dt>Hint</dt>
                  <dd data-testid="upload-error-hint">{state.error.hint}</dd>
                </>
              )}
            </dl>
          </div>
        )}
      </div>
    </div>
  );
}
