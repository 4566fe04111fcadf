import { TesseraError } from '@/lib/errors';

export function notFound(what: string, id: string): TesseraError {
  return new TesseraError('NOT_FOUND', `${what} ${id} not found`, {
    where: `${what}:${id}`,
    hint: `Check the ${what} id; it may have been deleted.`,
  });
}

export function errorMessage(e: unknown): string {
  if (e instanceof TesseraError) return e.toOneLine();
  if (e instanceof Error) return e.message;
  return String(e);
}
