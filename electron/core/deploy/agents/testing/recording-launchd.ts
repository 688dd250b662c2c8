/**
 * TEST DOUBLE of launchd on a "macOS" test host (a Linux sshd host whose `uname` says Darwin, see
 * agent-hosts.ts) — no launchd runs here. `install` runs the staged binary's real command line,
 * `service install --config …`, with MEGARAPTOR_SIM_ROOT set so the simulator's stand-in writes the
 * plist under the host's install root; then it does what `launchctl load -w` would: reads the plist
 * (checked as a property list) and starts its ProgramArguments detached, as root, with a pid file.
 * Every call is recorded.
 */
import { AppError } from '../../../../../shared/errors';
import type { SshConnection } from '../../ssh/connection';
import type { ServiceStatus } from '../../ssh/services';
import { sh } from '../../ssh/shell';
import type { DarwinAgentLayout } from '../layout';
import type { MacServiceControl } from '../mac-service';
import { parsePlist } from '../xml';

export interface LaunchdCall {
  op: 'install' | 'load' | 'remove';
  host: string;
  label: string;
}

export class LaunchdRecorder {
  readonly calls: LaunchdCall[] = [];
  /** Plist texts as written, by host. */
  readonly plists = new Map<string, string>();

  readonly factory = (conn: SshConnection): RecordingLaunchd => new RecordingLaunchd(conn, this);
}

export class RecordingLaunchd implements MacServiceControl {
  readonly kind = 'recording launchd (test)';

  constructor(
    private readonly conn: SshConnection,
    private readonly recorder: LaunchdRecorder,
  ) {}

  private runDir(layout: DarwinAgentLayout): string {
    return `${layout.root}/run/megaraptor-test-launchd`;
  }

  private pidFile(layout: DarwinAgentLayout): string {
    return `${this.runDir(layout)}/${layout.label}.pid`;
  }

  async install(stagedBinary: string, stagedConfig: string, layout: DarwinAgentLayout): Promise<void> {
    await this.conn.run(
      `MEGARAPTOR_SIM_ROOT=${sh([layout.root])} ${sh([stagedBinary, 'service', 'install', '--config', stagedConfig])}`,
      { root: true, what: 'velociraptor service install' },
    );
    this.recorder.calls.push({ op: 'install', host: this.conn.name, label: layout.label });
    const text = (await this.conn.run(sh(['cat', layout.plist]), { root: true, what: 'Reading the plist' }))
      .stdout;
    this.recorder.plists.set(this.conn.name, text);
    const plist = parsePlist(text.trimStart()) as { ProgramArguments?: unknown };
    const argv = Array.isArray(plist.ProgramArguments) ? plist.ProgramArguments.map(String) : [];
    if (!argv.length) throw new AppError('INTERNAL', 'The plist has no ProgramArguments.');
    const pid = sh([this.pidFile(layout)]);
    const log = sh([`${this.runDir(layout)}/${layout.label}.log`]);
    await this.conn.run(
      [
        `mkdir -p ${sh([this.runDir(layout)])}`,
        `rm -f ${pid}`,
        // The stand-in agent runs on Linux: tell it which system it stands on (simulator-only variable).
        `cd / && MEGARAPTOR_SIM_OS=darwin setsid -f sh -c ${sh([`echo $$ > ${pid}; exec ${sh(argv)}`])} </dev/null >>${log} 2>&1`,
        `for i in $(seq 1 50); do [ -s ${pid} ] && exit 0; sleep 0.1; done`,
        'exit 1',
      ].join('\n'),
      { root: true, what: 'launchctl load (test stand-in)' },
    );
    this.recorder.calls.push({ op: 'load', host: this.conn.name, label: layout.label });
  }

  async status(layout: DarwinAgentLayout): Promise<ServiceStatus> {
    const pid = sh([this.pidFile(layout)]);
    const r = await this.conn.exec(`p=$(cat ${pid} 2>/dev/null) && kill -0 "$p" 2>/dev/null && echo "$p"`, {
      root: true,
    });
    const n = Number(r.stdout.trim());
    return r.code === 0 && n > 0
      ? { active: true, state: 'running', mainPid: n }
      : { active: false, state: 'not loaded', mainPid: null };
  }

  async remove(layout: DarwinAgentLayout): Promise<void> {
    const pid = sh([this.pidFile(layout)]);
    await this.conn.run(
      [
        `if [ -s ${pid} ]; then p=$(cat ${pid}); kill -s TERM -- -"$p" 2>/dev/null;`,
        `  for i in $(seq 1 50); do kill -s 0 -- -"$p" 2>/dev/null || break; sleep 0.1; done; kill -s KILL -- -"$p" 2>/dev/null; fi`,
        `rm -f ${pid} ${sh([layout.plist])}`,
      ].join('\n'),
      { root: true, what: 'launchctl bootout (test stand-in)' },
    );
    this.recorder.calls.push({ op: 'remove', host: this.conn.name, label: layout.label });
  }

  async logs(layout: DarwinAgentLayout): Promise<string> {
    const r = await this.conn.exec(`tail -n 50 ${sh([`${this.runDir(layout)}/${layout.label}.log`])}`, {
      root: true,
    });
    return r.stdout;
  }
}
