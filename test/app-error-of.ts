/**
 * The AppError a promise rejects with, for tests that assert on its code and message: a promise that
 * resolves, or rejects with anything else, fails the test (`what` says which call was expected to fail).
 */
import { isAppError, type AppError } from '../shared/errors';

export async function appErrorOf(p: Promise<unknown>, what = ''): Promise<AppError> {
  try {
    await p;
  } catch (e) {
    if (isAppError(e)) return e;
    throw e;
  }
  throw new Error(`expected a failure${what ? ` ${what}` : ''}`);
}
