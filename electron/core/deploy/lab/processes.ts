/**
 * Lab processes: started detached (they outlive the app's window and a crash of the deploying
 * process), output to a log file, and known afterwards by pid AND start time — so a clean-up after a
 * restart ends exactly the process the journal recorded, never another that got the same pid.
 */
import { execFile, spawn } from 'node:child_process';
import { open, readdir, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { AppError, messageOf } from '../../../../shared/errors';

const run = promisify(execFile);

/** /proc/PID/stat from field 3 (state) on, or null when the process is gone (Linux). */
async function statFields(pid: number): Promise<string[] | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  if (!stat) return null;
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** A zombie (state Z) has ended; only its parent has not read its exit status yet. */
const ended = (state: string | undefined): boolean => state === 'Z' || state === 'X';

/**
 * What identifies a live process beyond its pid: the start time in clock ticks since boot
 * (/proc/PID/stat field 22) on Linux, `ps -o lstart=` elsewhere; '' when it is gone.
 */
export async function processStartMark(pid: number): Promise<string> {
  if (process.platform === 'linux') {
    const rest = await statFields(pid);
    if (!rest || ended(rest[0])) return '';
    return rest[19] ?? '';
  }
  if (process.platform === 'win32') return alive(pid) ? `pid:${pid}` : '';
  const r = await run('ps', ['-o', 'lstart=', '-p', String(pid)]).catch(() => ({ stdout: '' }));
  return r.stdout.trim();
}

/**
 * Members of process group `pgid` that still run (zombies have ended): what is left of a lab
 * process and the children it started. On Windows only the pid itself is known.
 */
export async function groupMembers(pgid: number): Promise<number[]> {
  if (process.platform === 'win32') return alive(pgid) ? [pgid] : [];
  if (process.platform === 'linux') {
    const names = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n));
    const fields = await Promise.all(names.map((n) => statFields(Number(n))));
    // After the command name: state, ppid, pgrp.
    return names.filter((_, i) => fields[i]?.[2] === String(pgid) && !ended(fields[i]?.[0])).map(Number);
  }
  const r = await run('ps', ['-A', '-o', 'pid=,pgid=,stat=']).catch(() => ({ stdout: '' }));
  return r.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .filter(([, g, state]) => g === String(pgid) && !state?.startsWith('Z'))
    .map(([pid]) => Number(pid));
}

/**
 * A zombie whose parent is this process: Node reaps its own children when its event loop runs, so
 * waiting a moment makes the pid disappear. (An orphan's zombie may stay: PID 1 of some containers
 * and VMs never reaps; it has ended all the same.)
 */
async function ourZombie(pid: number): Promise<boolean> {
  if (process.platform !== 'linux') return false;
  const rest = await statFields(pid);
  return rest !== null && ended(rest[0]) && rest[1] === String(process.pid);
}

export interface StartedProcess {
  pid: number;
  mark: string;
}

/**
 * Starts `argv` detached with stdout and stderr appended to `logFile`, writes `pid mark` to `pidFile`
 * at once, and resolves once it runs.
 */
export async function startDetached(
  argv: string[],
  logFile: string,
  cwd: string,
  pidFile: string,
): Promise<StartedProcess> {
  const log = await open(logFile, 'a', 0o600);
  try {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd,
      detached: true,
      stdio: ['ignore', log.fd, log.fd],
      windowsHide: true,
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (e) =>
        reject(
          new AppError('DEPLOY_FAILED', `${argv[0]} could not be started: ${messageOf(e)}`, { cause: e }),
        ),
      );
      child.once('spawn', () => resolve(child.pid!));
    });
    child.unref();
    const started = { pid, mark: await processStartMark(pid) };
    await writeFile(pidFile, `${started.pid} ${started.mark}\n`, { mode: 0o600 });
    return started;
  } finally {
    await log.close();
  }
}

/** The process a pid file names, or null when there is none. */
export async function readPidFile(path: string): Promise<StartedProcess | null> {
  const text = await readFile(path, 'utf8').catch(() => '');
  const [pid, ...mark] = text.trim().split(' ');
  return Number(pid) > 0 ? { pid: Number(pid), mark: mark.join(' ') } : null;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Ends the process the journal knows and its process group: SIGTERM, SIGKILL after `graceMs`, and
 * resolves only once nothing of the group runs (and, when it is our child, its pid is reaped), so a
 * destroy that says "stopped" means it. Still running `killMs` after SIGKILL (stuck in the kernel)
 * is an error that names the pid. A pid that is gone or now belongs to another process (its start
 * mark differs) is left alone: it is not ours any more.
 */
export async function stopProcess(
  p: StartedProcess,
  graceMs = 10_000,
  killMs = 5_000,
): Promise<'stopped' | 'gone' | 'not-ours'> {
  const mark = alive(p.pid) ? await processStartMark(p.pid) : '';
  if (p.mark && mark && mark !== p.mark) return 'not-ours';
  // Detached processes lead a process group of their own: signal the group, so a child the server
  // started (Velociraptor's frontend runs two processes) ends with it, as systemd would do. While
  // any member lives the kernel does not hand the group's id to a new process, so it is still ours.
  const target = process.platform === 'win32' ? p.pid : -p.pid;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(target, sig);
    } catch {
      // ended meanwhile
    }
  };
  const gone = async (ms: number): Promise<boolean> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const leaderEnded = !mark || (await processStartMark(p.pid)) !== mark;
      // Once the leader has ended, whatever of its group is left is killed, not asked.
      if (leaderEnded) signal('SIGKILL');
      const left = leaderEnded ? await groupMembers(p.pid) : [p.pid];
      if (left.length === 0 && !(await ourZombie(p.pid))) return true;
      if (Date.now() >= deadline) return left.length === 0;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  if (!mark) {
    // The leader ended before us; children it left in its group still go (the group's id is not
    // handed out again while they live, so they are ours).
    if ((await groupMembers(p.pid)).length) signal('SIGKILL');
    if (await gone(killMs)) return 'gone';
  } else {
    signal('SIGTERM');
    if (await gone(graceMs)) return 'stopped';
    signal('SIGKILL');
    if (await gone(killMs)) return 'stopped';
  }
  throw new AppError(
    'DEPLOY_FAILED',
    `Process ${p.pid} (or one of its group) still runs ${Math.round(killMs / 1000)} s after SIGKILL; end it by hand (kill -9 -${p.pid}) and remove again.`,
  );
}
