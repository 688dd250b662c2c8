/**
 * Waiting for a cloud VM's server to come up after the cloud says the machine exists (first boot, or a
 * start): the API is tried until it answers as the registered identity; "not up yet" failures (refused,
 * reset, timed out, the identity not registered yet) are waited out, anything else fails now. Every
 * 30 s the cloud is asked whether the machine is still there (`stillThere` throws when it is not), so
 * a VM that died at boot fails the wait at once instead of at the deadline.
 */
import { AppError, isAppError, messageOf } from '../../../../shared/errors';
import type { StepContext } from '../model';
import { verifyApi } from '../verify';

const NOT_UP_YET = [
  'SERVER_UNREACHABLE',
  'TLS_HANDSHAKE_FAILED',
  'TIMEOUT',
  'DEPLOY_TARGET_UNREACHABLE',
  'SSH_UNREACHABLE',
  'USER_UNKNOWN',
];

export interface ServerWait {
  apiUser: string;
  timeoutMs: number;
  pollMs: number;
  /** Runs the check with the API's address as this machine reaches it (directly or tunnelled). */
  withApiYaml<T>(work: (apiYaml: string) => Promise<T>): Promise<T>;
  stillThere(): Promise<void>;
  /** Where the boot script's log is, for the timeout message. */
  logHint: string;
}

export function waited(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} minutes`;
}

export async function waitForServer(w: ServerWait, ctx: StepContext): Promise<void> {
  const t0 = Date.now();
  const deadline = t0 + w.timeoutMs;
  let lastCheck = 0;
  for (;;) {
    if (ctx.signal.aborted) throw new AppError('CANCELLED', 'The deployment was cancelled.');
    if (Date.now() - lastCheck > 30_000) {
      lastCheck = Date.now();
      await w.stillThere();
    }
    try {
      const user = await w.withApiYaml((yaml) =>
        verifyApi(yaml, w.apiUser, { timeoutMs: 1, signal: ctx.signal }),
      );
      ctx.log(`The server answered as ${user} after ${Math.round((Date.now() - t0) / 1000)} s`);
      return;
    } catch (e) {
      const cause = isAppError(e) && isAppError(e.cause) ? e.cause.code : isAppError(e) ? e.code : '';
      if (!NOT_UP_YET.includes(cause)) throw e;
      if (Date.now() > deadline)
        throw new AppError(
          'TIMEOUT',
          `The server did not answer within ${waited(w.timeoutMs)} of the machine being ready (${messageOf(e)}). ${w.logHint}`,
          { cause: e, details: { bootTimeoutMs: w.timeoutMs } },
        );
      ctx.progress({ message: `Waiting for the server to boot (${Math.round((Date.now() - t0) / 1000)} s)` });
      await new Promise((r) => setTimeout(r, Math.min(w.pollMs, 10_000)));
    }
  }
}
