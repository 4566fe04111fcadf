'use client';
import Link from 'next/link';
import { useCallback, useRef, useState, type DragEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useTRPC } from '../_components/trpc';
import { fmtBytes } from '../_components/format';
import { toUploadError, uploadPercent, xhrPost, type UploadError } from '../_components/xhr-upload';
import { UploadErrorBox, UploadProgress } from '../_components/UploadFeedback';

type UploadState =
  | { phase: 'idle' }
  | { phase: 'uploading'; file: string; loaded: number; total: number }
  | { phase: 'processing'; file: string }
  | { phase: 'done'; file: string; studyId: string }
  | { phase: 'error'; file: string; error: UploadError };

/** POSTs the raw bytes with XMLHttpRequest so that upload progress can be shown. */
function uploadFile(
  file: File,
  opts: { name?: string; modality?: string },
  onProgress: (loaded: number, total: number) => void,
): Promise<{ studyId: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'x-filename': encodeURIComponent(file.name) };
  if (opts.name) headers['x-study-name'] = encodeURIComponent(opts.name);
  if (opts.modality) headers['x-modality'] = encodeURIComponent(opts.modality);
  return xhrPost({
    url: '/api/upload',
    body: file,
    size: file.size,
    headers,
    okStatus: [201, 200],
    read: (answer) => {
      const studyId = (answer as { studyId?: string }).studyId;
      return studyId ? { studyId } : null;
    },
    missing: 'The server accepted the upload but did not return a study id.',
    onProgress,
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
        setState({ phase: 'error', file: file.name, error: toUploadError(e) });
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

  const pct = uploadPercent(state, 'processing');

  return (
    <div style={{ maxWidth: 760 }}>
      <div className="page-head">
        <div>
          <h1>Upload a volume or point cloud</h1>
          <div className="subtle">
            Volumes: NIfTI-1/2 (.nii or .nii.gz) or TIFF z stacks (.tif/.tiff, ImageJ/OME, one channel). Point clouds: PLY, PCD, LAS/LAZ, XYZ/CSV/TXT (per-point{' '}
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
          <strong>Drop a .nii / .nii.gz / .tif volume or a .ply / .pcd / .las / .laz / .xyz / .csv / .txt point cloud here</strong>
          <div className="subtle" style={{ marginTop: 6 }}>
            or click to choose a file
          </div>
          <input
            ref={inputRef}
            type="file"
            accept=".nii,.gz,.nii.gz,.tif,.tiff,image/tiff,.ply,.pcd,.las,.laz,.xyz,.csv,.txt,application/gzip,application/octet-stream"
            data-testid="upload-input"
            style={{ display: 'none' }}
            onChange={(e) => {
              const file = e.target.files?.[0];
              if (file) void start(file);
            }}
          />
        </div>

        {(state.phase === 'uploading' || state.phase === 'processing') && (
          <UploadProgress
            testId="upload-progress"
            pct={pct}
            label={
              state.phase === 'uploading'
                ? `Uploading ${state.file} — ${fmtBytes(state.loaded)} of ${fmtBytes(state.total)}`
                : `Checking ${state.file} on the server…`
            }
          />
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

        {/* test ids: upload-error, upload-error-message, -code, -where, -hint */}
        {state.phase === 'error' && <UploadErrorBox prefix="upload" title="Upload rejected: " error={state.error} file={state.file} />}
      </div>
    </div>
  );
}
