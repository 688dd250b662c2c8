import { isAppError } from '../../../../shared/errors';

/** An error as one line a responder can act on: the core's message plus its stable code. */
export function errorText(e: unknown): string {
  if (isAppError(e)) return `${e.message} (${e.code})`;
  return e instanceof Error ? e.message : String(e);
}
