/**
 * Fault tests of the metadata index with real processes: a compiled writer killed with SIGKILL at
 * random points must never leave an unreadable index (and the next writer must get past its stale
 * lock), and two processes writing at once must lose nothing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleChild, type BundledChild } from './fixtures/bundle';
import { CredentialIndex } from './metadata-index';

let child: BundledChild;
let dir: string;

beforeAll(async () => {
  child = await bundleChild();
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-index-faults-'));
});

afterAll(async () => {
  await child?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function startWriter(
  indexPath: string,
  prefix: string,
  count: number,
): { proc: ChildProcess; lines: string[]; ready: Promise<void>; exit: Promise<number | null> } {
  const proc = spawn(process.execPath, [child.file, 'write-loop', indexPath, prefix, String(count)], {
    env: child.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((r) => (onReady = r));
  let buf = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    for (const l of parts) {
      lines.push(l);
      if (l === 'ready') onReady();
    }
  });
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) =>
    proc.on('exit', (code) => {
      onReady();
      if (code !== null && code !== 0) lines.push(`stderr: ${stderr}`);
      resolve(code);
    }),
  );
  return { proc, lines, ready, exit };
}

describe('credential index under process faults', () => {
  it('survives 200 SIGKILLs at random points: always readable, no acknowledged write lost', async () => {
    // Two lanes (one index file each) run side by side to halve the wall time; 100 runs each.
    const lanes = 2;
    const runsPerLane = 100;
    const stats = { killedAfterCommit: 0, killedHoldingLock: 0 };
    const lane = async (laneNo: number) => {
      const indexPath = join(dir, `killed-${laneNo}.json`);
      const index = new CredentialIndex(indexPath);
      for (let run = 0; run < runsPerLane; run++) {
        const prefix = `l${laneNo}r${run}`;
        const w = startWriter(indexPath, prefix, 1000);
        await w.ready;
        // 0–60 ms after start: lands before, during or between the lock/write/fsync/rename steps.
        await new Promise((r) => setTimeout(r, Math.random() * 60));
        w.proc.kill('SIGKILL');
        const code = await w.exit;
        expect(code, w.lines.join('\n')).toBeNull();
        const acked = w.lines.filter((l) => l.startsWith('wrote ')).length;
        if (existsSync(`${indexPath}.lock`)) stats.killedHoldingLock++;
        // The index must parse and pass its checksum; the dead writer's lock must not block us.
        const entries = await index.read();
        const mine = entries
          .filter((e) => e.id.startsWith(`${prefix}-`))
          .map((e) => Number(e.id.slice(prefix.length + 1)));
        mine.sort((a, b) => a - b);
        // Entries are committed in order: exactly 0..k-1, with k = acknowledged or one more
        // (killed after the rename but before printing).
        expect(mine).toEqual([...Array(mine.length).keys()]);
        expect(mine.length === acked || mine.length === acked + 1).toBe(true);
        if (mine.length > 0) stats.killedAfterCommit++;
        // Keep the file small; this also takes over the lock the killed writer may have left.
        await index.update(() => ({ entries: [], result: undefined }));
      }
      expect(await index.read()).toEqual([]);
      expect(await index.quarantined()).toEqual([]);
    };
    await Promise.all([...Array(lanes).keys()].map(lane));
    // The kills really landed mid-work: some after commits, some while the lock was held.
    expect(stats.killedAfterCommit).toBeGreaterThan(20);
    expect(stats.killedHoldingLock).toBeGreaterThan(5);
    // Temp files of killed writers are swept under the lock; none may accumulate.
    const leftovers = (await readdir(dir)).filter((n) => n.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  }, 300_000);

  it('loses nothing when two processes write at once', async () => {
    const indexPath = join(dir, 'concurrent.json');
    const a = startWriter(indexPath, 'a', 60);
    const b = startWriter(indexPath, 'b', 60);
    const [ca, cb] = await Promise.all([a.exit, b.exit]);
    expect(ca, a.lines.join('\n')).toBe(0);
    expect(cb, b.lines.join('\n')).toBe(0);
    const ids = new Set((await new CredentialIndex(indexPath).read()).map((e) => e.id));
    expect(ids.size).toBe(120);
    for (let i = 0; i < 60; i++) {
      expect(ids.has(`a-${i}`)).toBe(true);
      expect(ids.has(`b-${i}`)).toBe(true);
    }
  }, 120_000);
});
