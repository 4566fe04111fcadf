/**
 * What the upload forms (app/upload, app/models) show while and after they upload: the progress
 * box (`testId`) and the rejected-upload box. The error box's test ids are `<prefix>-error`
 * (data-code), `<prefix>-error-message`, `-code`, `-where`, `-hint`.
 */
import type { ReactNode } from 'react';
import ProgressBar from './ProgressBar';
import type { UploadError } from './xhr-upload';

export function UploadProgress(props: { testId: string; label: ReactNode; pct: number }) {
  return (
    <div style={{ marginTop: 14 }} data-testid={props.testId}>
      <div className="run-progress-head">
        <span>{props.label}</span>
        <span>{props.pct}%</span>
      </div>
      <ProgressBar pct={props.pct} />
    </div>
  );
}

export function UploadErrorBox(props: { prefix: string; title: string; error: UploadError; file?: string }) {
  const { prefix, error } = props;
  return (
    <div className="alert alert-error" data-testid={`${prefix}-error`} role="alert" data-code={error.code}>
      <strong>{props.title}</strong>
      <span data-testid={`${prefix}-error-message`}>{error.message}</span>
      <dl>
        {props.file !== undefined && (
          <>
            <dt>File</dt>
            <dd>{props.file}</dd>
          </>
        )}
        <dt>Error</dt>
        <dd>
          <code data-testid={`${prefix}-error-code`}>{error.code}</code>
          {error.status ? <span className="subtle"> (HTTP {error.status})</span> : null}
        </dd>
        {error.where && (
          <>
            <dt>Where</dt>
            <dd data-testid={`${prefix}-error-where`}>{error.where}</dd>
          </>
        )}
        {error.hint && (
          <>
            <dt>Hint</dt>
            <dd data-testid={`${prefix}-error-hint`}>{error.hint}</dd>
          </>
        )}
      </dl>
    </div>
  );
}
