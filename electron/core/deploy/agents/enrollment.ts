/**
 * "Enrolled" is observed, never assumed: the agent's client id is read from its writeback on the host
 * (the `client_id:` line only — the private key beside it never leaves the host), then the server is
 * asked through the API (VelociraptorService) until it lists that client, within a deadline. A
 * reinstalled agent that kept its writeback comes back under the same id.
 */
import { AppError, isAppError } from '../../../../shared/errors';
import type { VelociraptorService } from '../../velociraptor/index';
import type { SshConnection } from '../ssh/connection';
import { sh } from '../ssh/shell';

export const CLIENT_ID = /^C\.[0-9a-f]{16}$/;

/** The client id a writeback file names (its `client_id:` line), or null. */
export function writebackClientId(text: string): string | null {
  const m = /^client_id:\s*["']?(C\.[0-9a-f]{16})["']?\s*$/m.exec(text);
  return m ? m[1]! : null;
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  intervalMs?: number;
  /** Called on each poll that found nothing yet (progress). */
  onWait?: (elapsedMs: number) => void;
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new AppError('CANCELLED', 'Cancelled.'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new AppError('CANCELLED', 'Cancelled.'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Polls `read` until it gives a value or the deadline passes (null then). */
export async function pollFor<T>(read: () => Promise<T | null>, o: WaitOptions): Promise<T | null> {
  const t0 = Date.now();
  for (;;) {
    const v = await read();
    if (v !== null) return v;
    const elapsed = Date.now() - t0;
    if (elapsed >= o.timeoutMs) return null;
    o.onWait?.(elapsed);
    await pause(Math.min(o.intervalMs ?? 1000, o.timeoutMs - elapsed), o.signal);
  }
}

/**
 * Waits on the host, as root, until the writeback names a client id (null after the deadline). The
 * waiting loop runs on the host in one command: one sudo and one round trip, however long the agent
 * takes, where a poll from here costs both every half second (at 8 hosts at once, 16 sudo a second
 * competing with the agents starting) and notices the id only at the next poll.
 */
export async function waitForWriteback(
  conn: SshConnection,
  writeback: string,
  o: Omit<WaitOptions, 'intervalMs' | 'onWait'>,
): Promise<string | null> {
  const t0 = Date.now();
  const read = `sed -n 's/^client_id: *//p' ${sh([writeback])} 2>/dev/null`;
  return pollFor(
    async () => {
      const seconds = Math.max(1, Math.ceil((o.timeoutMs - (Date.now() - t0)) / 1000));
      // Five looks a second, each a shell builtin test until the file has content (sed only then):
      // the wait costs the host one `sleep` a look, not the agent's CPU. Fractional sleep: coreutils,
      // BSD (macOS) and busybox all have it.
      const loop = `n=${seconds * 5}; while [ "$n" -gt 0 ]; do if [ -s ${sh([writeback])} ]; then id=$(${read}); [ -n "$id" ] && { printf '%s\\n' "$id"; exit 0; }; fi; n=$((n - 1)); sleep 0.2; done`;
      const r = await conn.exec(loop, {
        root: true,
        timeoutMs: seconds * 1000 + 30_000,
        ...(o.signal ? { signal: o.signal } : {}),
      });
      return writebackClientId(`client_id: ${r.stdout.trim()}`);
    },
    // A half-written line (no full id yet) is read again after a moment.
    { ...o, intervalMs: 200 },
  );
}

/** Waits until the server lists `clientId`; AGENT_NOT_ENROLLED after the deadline. */
export async function waitForEnrollment(
  server: VelociraptorService,
  clientId: string,
  host: string,
  o: WaitOptions,
): Promise<void> {
  const found = await pollFor(async () => {
    try {
      await server.getClient(clientId, { ...(o.signal ? { signal: o.signal } : {}), deadlineMs: 20_000 });
      return true;
    } catch (e) {
      if (isAppError(e, 'NOT_FOUND')) return null;
      throw e;
    }
  }, o);
  if (!found)
    throw new AppError(
      'AGENT_NOT_ENROLLED',
      `The agent on ${host} runs as ${clientId}, but ${server.conn.label} did not list it within ${Math.round(o.timeoutMs / 1000)} s. Check that the host can reach the frontend URL of the config (firewall, DNS) and the agent's log.`,
      { details: { host, clientId } },
    );
}
