/**
 * The service manager of a host, behind one interface: systemd on real hosts (systemctl over SSH);
 * the tests, where no systemd runs, use a recording implementation that runs the unit's process
 * (deploy/testing/recording-services.ts). Units are files installed as root through RemoteFiles, so
 * every unit a deployment makes is a journaled remote path.
 */
import type { SshConnection } from './connection';
import type { RemotePlatform } from './platform';
import type { RemoteFiles } from './remote-files';
import { sh } from './shell';

/** Where a host keeps its units, under the install root (`prefix` is '' on a real host). */
export interface UnitHost {
  prefix: string;
  unitDir: string;
}

/** Makes a host's service manager for an open connection (systemd on real hosts; tests record). */
export type ServiceManagerFactory = (
  conn: SshConnection,
  files: RemoteFiles,
  host: UnitHost,
) => ServiceManager;

export const systemdServices: ServiceManagerFactory = (conn, files, host) =>
  new SystemdServiceManager(conn, files, host.unitDir);

export interface ServiceStatus {
  active: boolean;
  /** systemd's ActiveState (active, inactive, failed, activating…) or the test manager's. */
  state: string;
  mainPid: number | null;
}

export interface ServiceManager {
  readonly kind: string;
  /** Why this manager cannot run services on that host, or null when it can. */
  unsupported(platform: RemotePlatform): string | null;
  /** Where unit `name` lives on the host. */
  unitPath(name: string): string;
  /** Writes a unit file (mode 0644, root) and makes the manager read it. */
  installUnit(name: string, text: string): Promise<void>;
  /** Stops and disables the unit, deletes its file and forgets it. A unit already gone is fine. */
  removeUnit(name: string): Promise<void>;
  enable(name: string): Promise<void>;
  /** Undoes `enable`: the unit no longer starts at boot (a stopped timer stays stopped). */
  disable(name: string): Promise<void>;
  start(name: string): Promise<void>;
  stop(name: string): Promise<void>;
  status(name: string): Promise<ServiceStatus>;
  /** The unit's last log lines (journalctl). */
  logs(name: string, lines?: number): Promise<string>;
  /**
   * Shell lines a script on the host runs to stop, disable and delete `names`, and to delete the file
   * of `self` — the unit running the script, which must not stop itself mid-way (self-destruction).
   */
  teardownLines(names: readonly string[], self?: string): string[];
}

export class SystemdServiceManager implements ServiceManager {
  readonly kind = 'systemd';

  constructor(
    private readonly conn: SshConnection,
    private readonly files: RemoteFiles,
    private readonly unitDir = '/etc/systemd/system',
  ) {}

  unsupported(platform: RemotePlatform): string | null {
    return platform.init === 'systemd'
      ? null
      : `${this.conn.name} does not run systemd (${platform.distro?.prettyName ?? platform.os}); the server needs a systemd host.`;
  }

  unitPath(name: string): string {
    return `${this.unitDir}/${name}`;
  }

  async installUnit(name: string, text: string): Promise<void> {
    await this.files.install({ data: text }, this.unitPath(name), {
      mode: 0o644,
      owner: 'root',
      group: 'root',
    });
    await this.systemctl(['daemon-reload'], 'Reloading systemd');
  }

  async removeUnit(name: string): Promise<void> {
    const u = sh([name]);
    await this.conn.run(
      [
        `systemctl disable --now ${u} >/dev/null 2>&1`,
        `rm -f -- ${sh([this.unitPath(name)])}`,
        'systemctl daemon-reload',
        `systemctl reset-failed ${u} >/dev/null 2>&1`,
        'true',
      ].join('; '),
      { root: true, what: `Removing the unit ${name}` },
    );
  }

  enable(name: string): Promise<void> {
    return this.systemctl(['enable', name], `Enabling ${name}`);
  }

  disable(name: string): Promise<void> {
    return this.systemctl(['disable', name], `Disabling ${name}`);
  }

  start(name: string): Promise<void> {
    return this.systemctl(['start', name], `Starting ${name}`);
  }

  stop(name: string): Promise<void> {
    return this.systemctl(['stop', name], `Stopping ${name}`);
  }

  async status(name: string): Promise<ServiceStatus> {
    const r = await this.conn.run(sh(['systemctl', 'show', name, '--property=ActiveState,MainPID']), {
      what: `Reading the state of ${name}`,
    });
    const props = Object.fromEntries(
      r.stdout
        .trim()
        .split('\n')
        .map((l) => l.split('=') as [string, string]),
    );
    const pid = Number(props.MainPID);
    return {
      active: props.ActiveState === 'active',
      state: props.ActiveState ?? 'unknown',
      mainPid: pid > 0 ? pid : null,
    };
  }

  async logs(name: string, lines = 200): Promise<string> {
    const r = await this.conn.run(sh(['journalctl', '-u', name, '-n', String(lines), '--no-pager']), {
      root: true,
      what: `Reading the log of ${name}`,
    });
    return r.stdout;
  }

  teardownLines(names: readonly string[], self?: string): string[] {
    return [
      ...names.map((n) => `systemctl disable --now ${sh([n])} || true`),
      ...[...names, ...(self ? [self] : [])].map((n) => `rm -f -- ${sh([this.unitPath(n)])}`),
      'systemctl daemon-reload || true',
    ];
  }

  private async systemctl(argv: string[], what: string): Promise<void> {
    await this.conn.run(sh(['systemctl', ...argv]), { root: true, what });
  }
}
