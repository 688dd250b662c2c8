/**
 * Lab processes on this machine: started detached with a pid file, ended with their whole process
 * group (a child they started goes too), and never confused with another process that got the pid.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alive, groupMembers, processStartMark, readPidFile, startDetached, stopProcess } from './processes';

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

  it('returns only once nothing of the group runs and its pid is reaped, SIGKILL after the grace', async () => {
    // Leader and child both ignore SIGTERM: only SIGKILL ends them. The check right after the
    // return is the one a destroy's caller makes (no waiting loop here on purpose).
    const p = await startDetached(
      ['sh', '-c', "trap '' TERM; sh -c \"trap '' TERM; sleep 60\" & wait; sleep 60"],
      join(dir, 'log3'),
      dir,
      join(dir, 'z.pid'),
    );
    for (let i = 0; i < 50 && (await groupMembers(p.pid)).length < 2; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await groupMembers(p.pid)).length).toBeGreaterThanOrEqual(2);
    expect(await stopProcess(p, 300)).toBe('stopped');
    expect(alive(p.pid)).toBe(false);
    expect(await groupMembers(p.pid)).toEqual([]);
  });

  it('ends what a leader that already exited left in its group', async () => {
    // The leader exits at once and leaves a child in its group that ignores SIGTERM.
    const p = await startDetached(
      ['sh', '-c', 'sh -c "trap \'\' TERM; sleep 60" & sleep 0.3'],
      join(dir, 'log4'),
      dir,
      join(dir, 'w.pid'),
    );
    for (let i = 0; i < 100 && (await processStartMark(p.pid)); i++)
      await new Promise((r) => setTimeout(r, 50));
    expect((await groupMembers(p.pid)).length).toBeGreaterThan(0);
    expect(await stopProcess(p)).toBe('gone');
    expect(await groupMembers(p.pid)).toEqual([]);
  });
});
