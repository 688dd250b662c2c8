/**
 * Connections kept open for a burst of work on the same hosts (a clean-up removes a dozen resources
 * one call at a time) and closed once idle, so removals do not log in a dozen times and nothing stays
 * open afterwards.
 */
import type { SshConnection } from './connection';
import { openSsh, type SshDeps } from './connect';
import { SshTarget, type SshTargetInput } from './target';

interface Entry {
  conn: Promise<SshConnection>;
  users: number;
  idle: NodeJS.Timeout | undefined;
}

export class SshPool {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly deps: SshDeps,
    private readonly idleMs = 3_000,
  ) {}

  /** Runs `work` with an open connection to `target`, reusing one that is still open. */
  async with<T>(input: SshTargetInput | SshTarget, work: (conn: SshConnection) => Promise<T>): Promise<T> {
    const target = SshTarget.parse(input);
    const key = JSON.stringify(target);
    let entry = this.entries.get(key);
    if (entry) {
      const c = await entry.conn.catch(() => null);
      if (!c || c.closed) {
        this.entries.delete(key);
        entry = undefined;
      }
    }
    if (!entry) {
      entry = { conn: openSsh(target, this.deps), users: 0, idle: undefined };
      this.entries.set(key, entry);
      entry.conn.catch(() => this.entries.delete(key));
    }
    const e = entry;
    clearTimeout(e.idle);
    e.users++;
    try {
      return await work(await e.conn);
    } finally {
      e.users--;
      if (e.users === 0) {
        e.idle = setTimeout(() => this.drop(key, e), this.idleMs);
        e.idle.unref();
      }
    }
  }

  private drop(key: string, e: Entry): void {
    if (this.entries.get(key) !== e || e.users > 0) return;
    this.entries.delete(key);
    e.conn.then((c) => c.close()).catch(() => undefined);
  }

  /** Closes every pooled connection now. */
  closeAll(): void {
    for (const [key, e] of this.entries) {
      clearTimeout(e.idle);
      this.entries.delete(key);
      e.conn.then((c) => c.close()).catch(() => undefined);
    }
  }
}
