/**
 * TEST DOUBLE of a host's service manager — no systemd runs on these machines. Every call is recorded,
 * and the units really run over the SSH connection, the way systemd would run them: `start` reads the
 * unit file installed on the host and starts its ExecStart as its User=/Group= (setpriv) under its
 * LimitNOFILE (prlimit), detached in a session of its own, with its pid in a file on the host; `stop`
 * ends it; a timer remembers its OnCalendar, and `fireDue(now)` runs the service of every timer whose
 * time has come (a fake clock drives expiry). State lives in files on the host, so a deploying process
 * killed mid-way leaves everything a later clean-up needs. Teardown lines for scripts on the host append
 * to `calls.log` there, so what the host did by itself is recorded too.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppError } from '../../../../shared/errors';
import type { SshConnection } from '../ssh/connection';
import type { RemoteFiles } from '../ssh/remote-files';
import type { ServiceManager, ServiceManagerFactory, ServiceStatus, UnitHost } from '../ssh/services';
import { sh } from '../ssh/shell';
import { parseExecLine, parseOnCalendarAt, parseUnit, unitValue } from '../ssh/systemd-unit';

const run = promisify(execFile);

export interface ServiceCall {
  op: 'install' | 'remove' | 'enable' | 'disable' | 'start' | 'stop' | 'fire';
  unit: string;
}

/** Shared by every manager a test's factory makes (one per SSH connection). */
export class ServiceRecorder {
  readonly calls: ServiceCall[] = [];

  /** The factory a deployer takes (SshHostDeployerDeps.services, and the agent push's). */
  readonly factory = ((conn: SshConnection, files: RemoteFiles, host: UnitHost): RecordingServiceManager =>
    new RecordingServiceManager(conn, files, host, this)) satisfies ServiceManagerFactory;
}

export class RecordingServiceManager implements ServiceManager {
  readonly kind = 'recording (test)';
  readonly runDir: string;

  constructor(
    private readonly conn: SshConnection,
    private readonly files: RemoteFiles,
    private readonly host: UnitHost,
    private readonly recorder: ServiceRecorder,
  ) {
    this.runDir = `${host.prefix}/run/megaraptor-test-services`;
  }

  unsupported(): string | null {
    return null;
  }

  unitPath(name: string): string {
    return `${this.host.unitDir}/${name}`;
  }

  private pidFile(name: string): string {
    return `${this.runDir}/${name}.pid`;
  }

  /** The service's own pid (systemd's MainPID); the pid file holds its supervisor, the group leader. */
  private mainPidFile(name: string): string {
    return `${this.runDir}/${name}.main-pid`;
  }

  private record(op: ServiceCall['op'], unit: string): void {
    this.recorder.calls.push({ op, unit });
  }

  async installUnit(name: string, text: string): Promise<void> {
    await this.files.install({ data: text }, this.unitPath(name), {
      mode: 0o644,
      owner: 'root',
      group: 'root',
    });
    this.record('install', name);
  }

  async removeUnit(name: string): Promise<void> {
    await this.conn.run([...this.stopLines(name), `rm -f -- ${sh([this.unitPath(name)])}`].join('\n'), {
      root: true,
      what: `Removing the unit ${name}`,
    });
    this.record('remove', name);
  }

  async enable(name: string): Promise<void> {
    await this.conn.run(`mkdir -p ${sh([this.runDir])} && touch ${sh([`${this.runDir}/${name}.enabled`])}`, {
      root: true,
      what: `Enabling ${name}`,
    });
    this.record('enable', name);
  }

  async disable(name: string): Promise<void> {
    await this.conn.run(`rm -f ${sh([`${this.runDir}/${name}.enabled`])}`, {
      root: true,
      what: `Disabling ${name}`,
    });
    this.record('disable', name);
  }

  private async unit(name: string): Promise<Map<string, Array<[string, string]>>> {
    const r = await this.conn.run(`cat ${sh([this.unitPath(name)])}`, {
      root: true,
      what: `Reading ${name}`,
    });
    return parseUnit(r.stdout);
  }

  /** The unit's ExecStart as its user, with its file limit, as one shell command. */
  private command(unit: Map<string, Array<[string, string]>>): string {
    const exec = unitValue(unit, 'Service', 'ExecStart');
    if (!exec) throw new AppError('INTERNAL', 'The unit has no ExecStart.');
    const argv = parseExecLine(exec);
    const user = unitValue(unit, 'Service', 'User');
    const group = unitValue(unit, 'Service', 'Group') ?? user;
    const nofile = unitValue(unit, 'Service', 'LimitNOFILE');
    return sh([
      ...(nofile ? ['prlimit', `--nofile=${nofile}:${nofile}`, '--'] : []),
      ...(user ? ['setpriv', `--reuid=${user}`, `--regid=${group ?? user}`, '--init-groups', '--'] : []),
      ...argv,
    ]);
  }

  async start(name: string): Promise<void> {
    const unit = await this.unit(name);
    this.record('start', name);
    const onCalendar = unitValue(unit, 'Timer', 'OnCalendar');
    if (onCalendar !== undefined) {
      await this.conn.run(
        `mkdir -p ${sh([this.runDir])} && printf '%s' ${sh([onCalendar])} > ${sh([`${this.runDir}/${name}.timer`])}`,
        { root: true, what: `Starting the timer ${name}` },
      );
      return;
    }
    if (unitValue(unit, 'Service', 'Type') === 'oneshot') {
      await this.conn.run(this.command(unit), { root: true, what: `Running ${name}`, timeoutMs: 120_000 });
      return;
    }
    const pid = this.pidFile(name);
    const log = `${this.runDir}/${name}.log`;
    // A root shell supervises the service and reaps it when it ends, as systemd does. Without it the
    // service (running as its User=) would be re-parented to PID 1, which on these machines never
    // reaps: its zombie keeps the user "in use" and `userdel` at clean-up fails.
    const supervisor = [
      `echo $$ > ${sh([pid])}`,
      `${this.command(unit)} &`,
      'c=$!',
      `echo "$c" > ${sh([this.mainPidFile(name)])}`,
      `trap 'kill -s TERM "$c" 2>/dev/null' TERM`,
      'wait "$c"; wait "$c" 2>/dev/null; true',
    ].join('\n');
    await this.conn.run(
      [
        `mkdir -p ${sh([this.runDir])}`,
        `rm -f ${sh([pid, this.mainPidFile(name)])}`,
        `cd / && setsid -f sh -c ${sh([supervisor])} </dev/null >>${sh([log])} 2>&1`,
        `for i in $(seq 1 50); do [ -s ${sh([this.mainPidFile(name)])} ] && exit 0; sleep 0.1; done`,
        'exit 1',
      ].join('\n'),
      { root: true, what: `Starting ${name}` },
    );
  }

  /** Shell lines: exit 0 when the process group $p still has a process that is not a zombie. */
  private static readonly ALIVE = `ps -eo pgid=,stat= | awk -v p="$p" '$1 == p && $2 !~ /^Z/ { f = 1 } END { exit !f }'`;

  private stopLines(name: string): string[] {
    const pid = sh([this.pidFile(name)]);
    const main = sh([this.mainPidFile(name)]);
    const alive = RecordingServiceManager.ALIVE;
    return [
      // The whole process group (started with setsid), like systemd's KillMode=control-group; the
      // supervisor reaps the service. A service that ignores TERM gets KILL — the service alone
      // first, so its supervisor still reaps it, then whatever is left of the group.
      // (dash's kill takes a negative pid only as `kill -s SIG -- -PGID`.)
      `if [ -s ${pid} ]; then p=$(cat ${pid}); kill -s TERM -- -"$p" 2>/dev/null;`,
      `  for i in $(seq 1 100); do ${alive} || break; sleep 0.1; done;`,
      `  if ${alive}; then [ -s ${main} ] && kill -s KILL "$(cat ${main})" 2>/dev/null;`,
      `    for i in $(seq 1 50); do ${alive} || break; sleep 0.1; done; kill -s KILL -- -"$p" 2>/dev/null; fi; fi`,
      `rm -f ${pid} ${main} ${sh([`${this.runDir}/${name}.timer`, `${this.runDir}/${name}.enabled`, `${this.runDir}/${name}.log`])}`,
    ];
  }

  async stop(name: string): Promise<void> {
    await this.conn.run(this.stopLines(name).join('\n'), { root: true, what: `Stopping ${name}` });
    this.record('stop', name);
  }

  async status(name: string): Promise<ServiceStatus> {
    const pid = sh([this.pidFile(name)]);
    const main = sh([this.mainPidFile(name)]);
    const r = await this.conn.exec(
      `p=$(cat ${pid} 2>/dev/null) && ${RecordingServiceManager.ALIVE} && cat ${main}`,
      { root: true },
    );
    const n = Number(r.stdout.trim());
    return r.code === 0 && n > 0
      ? { active: true, state: 'active', mainPid: n }
      : { active: false, state: 'inactive', mainPid: null };
  }

  async logs(name: string, lines = 200): Promise<string> {
    const r = await this.conn.exec(`tail -n ${lines} ${sh([`${this.runDir}/${name}.log`])}`, { root: true });
    return r.stdout;
  }

  teardownLines(names: readonly string[], self?: string): string[] {
    return [
      ...names.flatMap((n) => [
        ...this.stopLines(n),
        `echo ${sh([`teardown ${n}`])} >> ${sh([`${this.runDir}/calls.log`])}`,
      ]),
      ...[...names, ...(self ? [self] : [])].map((n) => `rm -f -- ${sh([this.unitPath(n)])}`),
    ];
  }

  /** Runs, once, the service of every started timer whose OnCalendar is at or before `now`. */
  async fireDue(now: Date): Promise<string[]> {
    const r = await this.conn.run(
      `for f in ${sh([this.runDir])}/*.timer; do [ -f "$f" ] && printf '%s\\t%s\\n' "$(basename "$f" .timer)" "$(cat "$f")"; done; true`,
      { root: true, what: 'Listing timers' },
    );
    const fired: string[] = [];
    for (const line of r.stdout.split('\n').filter(Boolean)) {
      const [timer = '', when = ''] = line.split('\t');
      const at = parseOnCalendarAt(when);
      if (!at || at.getTime() > now.getTime()) continue;
      const unit = await this.unit(timer);
      const service = unitValue(unit, 'Timer', 'Unit') ?? timer.replace(/\.timer$/, '.service');
      await this.conn.run(`rm -f ${sh([`${this.runDir}/${timer}.timer`])}`, {
        root: true,
        what: 'Disarming',
      });
      this.record('fire', timer);
      await this.start(service);
      fired.push(timer);
    }
    return fired;
  }
}

/** `systemd-analyze verify` on unit texts (written to a temp folder); output must be empty. */
export async function systemdVerify(units: Record<string, string>): Promise<{ ok: boolean; output: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'megaraptor-units-'));
  try {
    for (const [name, text] of Object.entries(units)) await writeFile(join(dir, name), text);
    try {
      const { stdout, stderr } = await run(
        'systemd-analyze',
        ['verify', '--man=no', ...Object.keys(units).map((n) => join(dir, n))],
        { cwd: dir },
      );
      return { ok: `${stdout}${stderr}`.trim() === '', output: `${stdout}${stderr}`.trim() };
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string; message: string };
      return { ok: false, output: `${x.stdout ?? ''}${x.stderr ?? ''}`.trim() || x.message };
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
