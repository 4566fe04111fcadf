/** TesseraError codes → tRPC codes and HTTP statuses (docs/CONTRACTS.md, Server API). */
import type { TRPC_ERROR_CODE_KEY } from '@trpc/server';
import type { ErrorCode } from '@/lib/errors';

export function trpcCodeFor(code: ErrorCode): TRPC_ERROR_CODE_KEY {
  switch (code) {
    case 'FORMAT_INVALID':
    case 'FORMAT_UNSUPPORTED':
    case 'INVALID_ARGUMENT':
    case 'TRUNCATED':
    case 'SHAPE_MISMATCH':
      return 'BAD_REQUEST';
    case 'NOT_FOUND':
      return 'NOT_FOUND';
    case 'UNAUTHORIZED':
      return 'UNAUTHORIZED';
    case 'CONFLICT':
      return 'CONFLICT';
    default:
      return 'INTERNAL_SERVER_ERROR';
  }
}

export function httpStatusFor(code: ErrorCode): number {
  if (code === 'FORMAT_UNSUPPORTED') return 415;
  switch (trpcCodeFor(code)) {
    case 'BAD_REQUEST':
      return 400;
    case 'NOT_FOUND':
      return 404;
    case 'UNAUTHORIZED':
      return 401;
    case 'CONFLICT':
      return 409;
    default:
      return 500;
  }
}
