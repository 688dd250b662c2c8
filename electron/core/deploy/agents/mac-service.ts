/**
 * The macOS agent service, installed the way Velociraptor installs itself (VR bin/installer_darwin.go):
 * `velociraptor service install --config client.config.yaml` run as root copies the binary to
 * Client.darwin_installer.install_path, the config beside it, writes
 * /Library/LaunchDaemons/com.velocidex.velociraptor.plist (ProgramArguments `… client --config … --quiet`,
 * KeepAlive) and loads it with launchctl. A config cannot be embedded in a macOS binary (Velociraptor
 * issue #2898), hence the config file. Full Disk Access cannot be granted over SSH: it comes from an
 * MDM profile (PPPC) for the binary's path — without it the agent runs but cannot read protected files.
 *
 * The tests, where no launchd runs, use a recording implementation (agents/testing/recording-launchd.ts)
 * that runs the same `service install` and starts what the plist says.
 */
import { AppError } from '../../../../shared/errors';
import type { SshConnection } from '../ssh/connection';
import type { ServiceStatus } from '../ssh/services';
import { sh } from '../ssh/shell';
import type { DarwinAgentLayout } from './layout';

export const FULL_DISK_ACCESS_NOTE =
  'macOS agents need Full Disk Access to read protected files. It cannot be granted over SSH: deploy a PPPC configuration profile for the agent binary (/usr/local/bin/velociraptor) through your MDM.';

export interface MacServiceControl {
  readonly kind: string;
  /** Runs the staged binary's `service install` with the staged config (as root). */
  install(stagedBinary: string, stagedConfig: string, layout: DarwinAgentLayout): Promise<void>;
  status(layout: DarwinAgentLayout): Promise<ServiceStatus>;
  /** Unloads the job and deletes the plist (already gone is fine). */
  remove(layout: DarwinAgentLayout): Promise<void>;
  logs(layout: DarwinAgentLayout): Promise<string>;
}

export type MacServiceFactory = (conn: SshConnection) => MacServiceControl;

/** `launchctl print system/<label>`: `state = running`, `pid = N`. */
export function parseLaunchctlPrint(text: string): ServiceStatus {
  const state = /^\s*state = (\S+)/m.exec(text)?.[1] ?? 'unknown';
  const pid = Number(/^\s*pid = (\d+)/m.exec(text)?.[1] ?? 0);
  return { active: state === 'running' && pid > 0, state, mainPid: pid > 0 ? pid : null };
}

export class LaunchdServiceControl implements MacServiceControl {
  readonly kind = 'launchd';

  constructor(private readonly conn: SshConnection) {}

  async install(stagedBinary: string, stagedConfig: string): Promise<void> {
    await this.conn.run(sh([stagedBinary, 'service', 'install', '--config', stagedConfig]), {
      root: true,
      what: 'Installing the Velociraptor service (velociraptor service install)',
      timeoutMs: 120_000,
    });
  }

  async status(layout: DarwinAgentLayout): Promise<ServiceStatus> {
    const r = await this.conn.exec(sh(['launchctl', 'print', `system/${layout.label}`]), { root: true });
    if (r.code !== 0) return { active: false, state: 'not loaded', mainPid: null };
    return parseLaunchctlPrint(r.stdout);
  }

  async remove(layout: DarwinAgentLayout): Promise<void> {
    await this.conn.run(
      [
        `launchctl bootout ${sh([`system/${layout.label}`])} 2>/dev/null || launchctl unload -w ${sh([layout.plist])} 2>/dev/null`,
        `rm -f -- ${sh([layout.plist])}`,
        'true',
      ].join('; '),
      { root: true, what: 'Removing the Velociraptor launchd job' },
    );
  }

  async logs(): Promise<string> {
    const r = await this.conn.exec(
      `log show --last 10m --style compact --predicate 'process == "velociraptor"' 2>/dev/null | tail -n 50`,
      { root: true, timeoutMs: 60_000 },
    );
    return r.stdout;
  }
}

/** The keys a launchd job of the agent must carry (checked on what `service install` wrote). */
export function checkAgentPlist(
  parsed: { Label?: unknown; ProgramArguments?: unknown; KeepAlive?: unknown },
  layout: Pick<DarwinAgentLayout, 'label' | 'binary' | 'config'>,
): void {
  const args = Array.isArray(parsed.ProgramArguments) ? parsed.ProgramArguments.map(String) : [];
  const problems: string[] = [];
  if (parsed.Label !== layout.label) problems.push(`Label is ${String(parsed.Label)}, not ${layout.label}`);
  if (args[0] !== layout.binary) problems.push(`it runs ${args[0] ?? 'nothing'}, not ${layout.binary}`);
  if (!args.includes('client')) problems.push('it does not run the client');
  const c = args.indexOf('--config');
  if (c < 0 || args[c + 1] !== layout.config) problems.push(`it does not read ${layout.config}`);
  if (parsed.KeepAlive !== true) problems.push('KeepAlive is not true');
  if (problems.length)
    throw new AppError(
      'AGENT_INSTALL_FAILED',
      `The launchd job of the agent is not as expected: ${problems.join('; ')}.`,
      {
        details: { problems },
      },
    );
}
