/**
 * The rotation journal: append-only JSON lines in the data dir, one line per state change, fsynced.
 * It never holds key material (backups live in the SecretStore under `backupRef`). A line torn by a
 * crash can only be the last one; it is skipped on read, every earlier line stays valid.
 */
import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

export const RotationKind = z.enum(['frontend', 'gui', 'api-client', 'ca']);
export const RotationState = z.enum(['staged', 'applied', 'confirmed', 'rolled-back']);

export const JournalRecord = z.object({
  rotationId: z.string(),
  kind: RotationKind,
  state: RotationState,
  at: z.string(),
  /** Facts for the responder and for rollback: fingerprints, user names, secret refs. Never secrets. */
  details: z.record(z.string(), z.unknown()),
});
export type JournalRecord = z.infer<typeof JournalRecord>;

export class RotationJournal {
  constructor(readonly path: string) {}

  async append(record: JournalRecord): Promise<void> {
    const line = JSON.stringify(JournalRecord.parse(record)) + '\n';
    if (/PRIVATE KEY/.test(line)) throw new Error('refusing to journal key material'); // a bug guard
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const handle = await open(this.path, 'a', 0o600);
    try {
      await handle.appendFile(line);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  async records(): Promise<JournalRecord[]> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    const out: JournalRecord[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JournalRecord.safeParse(JSON.parse(line));
        if (r.success) out.push(r.data);
      } catch {
        // torn last line after a crash
      }
    }
    return out;
  }

  /** The latest record of each rotation. */
  async current(): Promise<Map<string, JournalRecord>> {
    const latest = new Map<string, JournalRecord>();
    for (const r of await this.records())
      latest.set(r.rotationId, { ...r, details: { ...latest.get(r.rotationId)?.details, ...r.details } });
    return latest;
  }
}
