/**
 * Lab processes on this machine: started detached with a pid file, ended with their whole process
 * group (a child they started goes too), and never confused with another process that got the pid.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, processStartMark, readPidFile, startDetached, stopProcess } from './processes';

describe.runIf(process.platform === 'linux')('lab processes', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'megaraptor-lab-proc-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('starts detached, records pid and start time, and ends the whole group', async () => {
    // A parent that starts a child of its own, like Velociraptor's frontend does.
    const p = await startDetached(
      ['sh', '-c', 'sleep 60 & echo child $!; wait'],
      join(dir, 'log'),
      dir,
      join(dir, 'x.pid'),
    );
    expect(alive(p.pid)).toBe(true);
    expect(p.mark).toMatch(/^\d+$/);
    expect(await readPidFile(join(dir, 'x.pid'))).toEqual(p);
    let childPid = 0;
    for (let i = 0; i < 50 && !childPid; i++) {
      childPid = Number(/child (\d+)/.exec(await readFile(join(dir, 'log'), 'utf8'))?.[1] ?? 0);
      if (!childPid) await new Promise((r) => setTimeout(r, 50));
    }
    expect(alive(childPid)).toBe(true);
    expect(await stopProcess(p, 3000)).toBe('stopped');
    for (let i = 0; i < 50 && (await processStartMark(childPid)); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await processStartMark(childPid)).toBe('');
    expect(await stopProcess(p)).toBe('gone');
  });

  it('leaves alone a process that now has the recorded pid but another start time', async () => {
    const p = await startDetached(['sleep', '30'], join(dir, 'log2'), dir, join(dir, 'y.pid'));
    try {
      expect(await stopProcess({ pid: p.pid, mark: '1' })).toBe('not-ours');
      expect(alive(p.pid)).toBe(true);
    } finally {
      expect(await stopProcess(p)).toBe('stopped');
    }
    expect(await readPidFile(join(dir, 'missing.pid'))).toBeNull();
  });
});
