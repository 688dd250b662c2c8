import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { withFileLock } from './file-lock';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A pid that surely does not exist any more: a child that already exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(r.stdout.toString());
}

describe('withFileLock', () => {
  it('breaks a lock whose owner process is dead', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, JSON.stringify({ pid: deadPid(), createdAt: Date.now(), token: 'old' }));
    const t0 = Date.now();
    expect(await withFileLock(lock, async () => 'ran', { timeoutMs: 2000 })).toBe('ran');
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(existsSync(lock)).toBe(false);
  });

  it('breaks a lock older than staleMs even if its pid is alive', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, createdAt: Date.now() - 60_000, token: 'old' }));
    expect(await withFileLock(lock, async () => 1, { staleMs: 30_000, timeoutMs: 2000 })).toBe(1);
  });

  it('breaks an empty lock file (owner killed before writing) once it is old', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, '');
    const old = new Date(Date.now() - 10_000);
    await utimes(lock, old, old);
    expect(await withFileLock(lock, async () => 2, { timeoutMs: 2000 })).toBe(2);
  });

  it('waits for a live owner and times out with the owner named', async () => {
    const lock = join(dir, 'x.lock');
    await writeFile(lock, JSON.stringify({ pid: process.pid, createdAt: Date.now(), token: 'live' }));
    await expect(withFileLock(lock, async () => 3, { timeoutMs: 200 })).rejects.toMatchObject({
      code: 'TIMEOUT',
      details: { pid: process.pid },
    });
    expect(existsSync(lock)).toBe(true); // a live lock is never broken
  });

  it('gives mutual exclusion to concurrent callers', async () => {
    const lock = join(dir, 'x.lock');
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(lock, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          await new Promise((r) => setTimeout(r, 2));
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
  });

  it('sweeps temp files of lock attempts whose process died, keeps a live one’s', async () => {
    const lock = join(dir, 'x.lock');
    const dead = join(dir, `x.lock.${deadPid()}.abcd.tmp`);
    const live = join(dir, `x.lock.${process.pid}.efgh.tmp`);
    await writeFile(dead, '{}');
    await writeFile(live, '{}');
    await withFileLock(lock, async () => undefined);
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('releases the lock when the work throws', async () => {
    const lock = join(dir, 'x.lock');
    await expect(withFileLock(lock, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lock)).toBe(false);
  });
});
