/**
 * Lab processes: started detached (they outlive the app's window and a crash of the deploying
 * process), output to a log file, and known afterwards by pid AND start time — so a clean-up after a
 * restart ends exactly the process the journal recorded, never another that got the same pid.
 */
import { execFile, spawn } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { AppError, messageOf } from '../../../../shared/errors';

const run = promisify(execFile);

/**
 * What identifies a live process beyond its pid: the start time in clock ticks since boot
 * (/proc/PID/stat field 22) on Linux, `ps -o lstart=` elsewhere; '' when it is gone.
 */
export async function processStartMark(pid: number): Promise<string> {
  if (process.platform === 'linux') {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // A zombie (state Z) has ended; only its parent has not read its exit status yet.
    if (rest[0] === 'Z' || rest[0] === 'X') return '';
    return rest[19] ?? '';
  }
  if (process.platform === 'win32') {
    try {
      process.kill(pid, 0);
      return `pid:${pid}`;
    } catch {
      return '';
    }
  }
  const r = await run('ps', ['-o', 'lstart=', '-p', String(pid)]).catch(() => ({ stdout: '' }));
  return r.stdout.trim();
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
 * Ends the process the journal knows (SIGTERM, then SIGKILL after `graceMs`). A pid that is gone or
 * now belongs to another process (its start mark differs) is left alone: it is not ours any more.
 */
export async function stopProcess(
  p: StartedProcess,
  graceMs = 10_000,
): Promise<'stopped' | 'gone' | 'not-ours'> {
  if (!alive(p.pid)) return 'gone';
  const mark = await processStartMark(p.pid);
  if (!mark) return 'gone';
  if (p.mark && mark !== p.mark) return 'not-ours';
  // Detached processes lead a process group of their own: signal the group, so a child the server
  // started (Velociraptor's frontend runs two processes) ends with it, as systemd would do.
  const target = process.platform === 'win32' ? p.pid : -p.pid;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(target, sig);
    } catch {
      // ended meanwhile
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    if ((await processStartMark(p.pid)) !== mark) {
      signal('SIGKILL'); // whatever of the group is left
      return 'stopped';
    }
  }
  signal('SIGKILL');
  return 'stopped';
}
