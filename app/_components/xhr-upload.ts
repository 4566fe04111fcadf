/**
 * Uploads from the browser with XMLHttpRequest so that upload progress can be shown (fetch has no
 * upload progress): the study upload (app/upload) and the model registry (app/models) share it.
 * Errors are `UploadError`s: the route's `{ error: { code, message, where, hint } }` body, else the
 * HTTP status and the start of the answer, or NETWORK when the request did not reach the server.
 */

export interface UploadError {
  code: string;
  message: string;
  where?: string | null;
  hint?: string | null;
  status: number;
}

/** The route's error body (`{ error: { code, message, where, hint } }`), else `HTTP_<status>` and the text. */
export function parseUploadError(status: number, text: string): UploadError {
  try {
    const body = JSON.parse(text) as { error?: Partial<UploadError> };
    if (body && body.error && typeof body.error.message === 'string') {
      return { code: body.error.code ?? `HTTP_${status}`, message: body.error.message, where: body.error.where, hint: body.error.hint, status };
    }
  } catch {
    /* not JSON */
  }
  return { code: `HTTP_${status}`, message: text.slice(0, 300) || `The server answered ${status}.`, status };
}

/** Whatever an upload threw, as an UploadError (code UNKNOWN when it is not one). */
export function toUploadError(e: unknown): UploadError {
  return (e && typeof e === 'object' && 'message' in e ? e : { code: 'UNKNOWN', message: String(e), status: 0 }) as UploadError;
}

/**
 * POSTs `body` to `url` and resolves with `read(JSON answer)` when the status is one of `okStatus`
 * and `read` gives a value; an accepted answer without one rejects with `missing` as the message.
 * `onProgress(loaded, total)` follows the upload (`size` when the browser cannot compute the total).
 */
export function xhrPost<T>(opts: {
  url: string;
  body: XMLHttpRequestBodyInit;
  size: number;
  headers?: Record<string, string>;
  okStatus: number[];
  read: (answer: unknown) => T | null | undefined;
  missing: string;
  onProgress: (loaded: number, total: number) => void;
}): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', opts.url);
    for (const [name, value] of Object.entries(opts.headers ?? {})) xhr.setRequestHeader(name, value);
    xhr.upload.onprogress = (e) => opts.onProgress(e.loaded, e.lengthComputable ? e.total : opts.size);
    xhr.onload = () => {
      if (opts.okStatus.includes(xhr.status)) {
        try {
          const out = opts.read(JSON.parse(xhr.responseText));
          if (out) return resolve(out);
        } catch {
          /* fall through */
        }
        reject(parseUploadError(xhr.status, opts.missing));
      } else {
        reject(parseUploadError(xhr.status, xhr.responseText));
      }
    };
    xhr.onerror = () =>
      reject({ code: 'NETWORK', message: 'The upload did not reach the server.', hint: 'Check that the server is running and try again.', status: 0 });
    xhr.send(opts.body);
  });
}

/** Upload progress as a whole percentage: loaded/total while uploading, 100 once the server checks it. */
export function uploadPercent(state: { phase: string; loaded?: number; total?: number }, checkingPhase: string): number {
  if (state.phase === 'uploading') return Math.round((100 * (state.loaded ?? 0)) / Math.max(1, state.total ?? 0));
  return state.phase === checkingPhase ? 100 : 0;
}
