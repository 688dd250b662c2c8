/**
 * Agents over SSH (Linux, macOS), built on the deploy/ssh layer: host keys checked (known_hosts or
 * confirmed once), key file / agent / keychain password logins, jump hosts, sudo with or without a
 * password, OS/arch detection, uploads over SFTP into a staging folder then `install` as root.
 *
 * Per run (once): the client config from the server (orgs() `_client_config`), and each platform's
 * verified binary from the release cache (fetched once, GPG-checked), or the responder's own file.
 * Per host: Linux in upstream's client-package layout with the `velociraptor_client` unit (layout.ts);
 * macOS through Velociraptor's own `service install` (mac-service.ts). Then verify: the service runs,
 * and the client id from the writeback appears in the server's clients() within the deadline.
 * Uninstall stops and removes what the push made; the writeback (the client's identity) goes only
 * when the responder says so.
 */
import { z } from 'zod';
import type { AgentChannel } from '../../../../shared/agents';
import { AppError, isAppError } from '../../../../shared/errors';
import type { VelociraptorService } from '../../velociraptor/index';
import type { PlatformWanted } from '../releases/assets';
import { acceptLocalBinary, type ReleaseCache, type VerifiedBinary } from '../releases/cache';
import type { TrustedKey } from '../releases/signature';
import { openSsh, type SshDeps } from '../ssh/connect';
import type { SshConnection } from '../ssh/connection';
import { detectPlatform, type RemotePlatform } from '../ssh/platform';
import { RemoteFiles } from '../ssh/remote-files';
import { systemdServices, type ServiceManager, type ServiceManagerFactory } from '../ssh/services';
import { sh } from '../ssh/shell';
import { SshAuth, SshHop, SudoPolicy } from '../ssh/target';
import { agentConfig, checkLabel, type AgentConfigOptions } from './client-config';
import { pollFor, waitForEnrollment, waitForWriteback, writebackClientId } from './enrollment';
import type { HostContext, HostPusher, PushOpenContext, PushOutcome, PushSession } from './fanout';
import {
  darwinLayout,
  linuxClientUnit,
  linuxLayout,
  type DarwinAgentLayout,
  type LinuxAgentLayout,
} from './layout';
import {
  checkAgentPlist,
  FULL_DISK_ACCESS_NOTE,
  LaunchdServiceControl,
  type MacServiceFactory,
} from './mac-service';
import { parsePlist } from './xml';

const Frontend = z.object({
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535),
  scheme: z.enum(['https', 'wss']).default('https'),
});

export const AgentConfigChoice = z.object({
  frontends: z.array(Frontend).max(8).default([]),
  labels: z
    .array(z.string())
    .max(32)
    .default([])
    .refine((l) => l.every((x) => checkLabel(x) === x)),
});

export const ServerTarget = z.object({
  /** The connection (a server the app is connected to) agents enroll with. */
  connection: z.string().min(1),
  org: z.string().default(''),
});

const PLATFORM_KEYS = ['linux-amd64', 'linux-arm64', 'darwin-amd64', 'darwin-arm64'] as const;

export const BinaryChoice = z.discriminatedUnion('kind', [
  /** A release (tag or 'latest'), each platform's asset fetched once and verified. */
  z.object({ kind: z.literal('release'), tag: z.string().min(1) }),
  /** The responder's own binaries, per platform (signature checked when a .sig lies beside). */
  z.object({ kind: z.literal('files'), files: z.partialRecord(z.enum(PLATFORM_KEYS), z.string().min(1)) }),
]);

export const SshPushSettings = z.object({
  mode: z.enum(['install', 'uninstall']).default('install'),
  server: ServerTarget,
  login: z.object({
    username: SshHop.shape.username,
    auth: SshAuth,
    sudo: SudoPolicy.default({ mode: 'none' }),
    jumps: z.array(SshHop).max(4).default([]),
  }),
  binary: BinaryChoice.default({ kind: 'release', tag: 'latest' }),
  config: AgentConfigChoice.default({ frontends: [], labels: [] }),
  /** How long to wait for the agent to appear in clients(). */
  enrollTimeoutMs: z.number().int().min(5_000).max(3_600_000).default(180_000),
  /** Uninstall: keep the writeback (the client's identity) so a reinstall comes back as the same client. */
  keepWriteback: z.boolean().default(true),
});
export type SshPushSettings = z.output<typeof SshPushSettings>;
export type SshPushSettingsInput = z.input<typeof SshPushSettings>;

export interface SshPusherDeps {
  ssh: SshDeps;
  releases: ReleaseCache;
  /** The key releases and files are checked against (Velocidex's by default). */
  trustedKey?: TrustedKey;
  /** The server agents enroll with, through the app's connections. */
  server(target: { server: string; org: string }): Promise<VelociraptorService>;
  /** Linux service manager; systemd by default (tests: the recording one). */
  services?: ServiceManagerFactory;
  /** macOS launchd control; Velociraptor's `service install` + launchctl by default. */
  macServices?: MacServiceFactory;
  /** Install root per host: '' on real hosts; the tests give each sshd host its own folder. */
  rootOf?: (host: { host: string; port: number }) => string;
  /** How long a started service may take to report running; default 30 s. */
  serviceStartMs?: number;
}

function platformKey(p: RemotePlatform): (typeof PLATFORM_KEYS)[number] {
  const key = `${p.os}-${p.arch}`;
  if ((PLATFORM_KEYS as readonly string[]).includes(key)) return key as (typeof PLATFORM_KEYS)[number];
  throw new AppError(
    'AGENT_PLATFORM_UNSUPPORTED',
    `The host runs ${p.os}/${p.machine}; agents are pushed over SSH to Linux and macOS on amd64 or arm64. ${p.os === 'windows' ? 'Use WinRM for Windows.' : ''}`.trim(),
    { details: { os: p.os, arch: p.arch } },
  );
}

function describe(p: RemotePlatform): string {
  return `${p.os}/${p.arch}${p.distro ? ` ${p.distro.prettyName}` : ''}`;
}

export class SshAgentPusher implements HostPusher {
  readonly channel: AgentChannel = 'ssh';

  constructor(private readonly deps: SshPusherDeps) {}

  defaultPort(): number {
    return 22;
  }

  parseSettings(settings: unknown): SshPushSettings {
    return SshPushSettings.parse(settings);
  }

  async open(raw: unknown, ctx: PushOpenContext): Promise<PushSession> {
    const settings = this.parseSettings(raw);
    const server = await this.deps.server({ server: settings.server.connection, org: settings.server.org });
    let source = '';
    if (settings.mode === 'install') {
      source = await server.orgClientConfig({ signal: ctx.signal });
      // Checked once here, so a bad frontend fails the run before any host is touched.
      const checked = agentConfig(source, this.configOptions(settings));
      ctx.log(
        `Agents will dial ${checked.serverUrls.join(', ')} (CA ${checked.caFingerprint.slice(0, 23)}…)${checked.labels.length ? ` with labels ${checked.labels.join(', ')}` : ''}.`,
      );
    }
    const binaries = new Map<string, Promise<VerifiedBinary>>();
    const binaryFor = (key: (typeof PLATFORM_KEYS)[number]): Promise<VerifiedBinary> => {
      let p = binaries.get(key);
      if (!p) {
        p = this.obtain(settings, key, ctx);
        binaries.set(key, p);
        p.catch(() => binaries.delete(key));
      }
      return p;
    };
    let fdaNoted = false;
    return {
      push: (hctx) =>
        this.pushHost(hctx, settings, {
          server,
          source,
          binaryFor,
          noteMac: () => {
            if (!fdaNoted) ctx.log(FULL_DISK_ACCESS_NOTE, 'warn');
            fdaNoted = true;
          },
        }),
      close: () => Promise.resolve(),
    };
  }

  private configOptions(s: SshPushSettings): AgentConfigOptions {
    return { frontends: s.config.frontends, labels: s.config.labels };
  }

  private async obtain(
    s: SshPushSettings,
    key: (typeof PLATFORM_KEYS)[number],
    ctx: Omit<PushOpenContext, 'runId'>,
  ): Promise<VerifiedBinary> {
    const [os, arch] = key.split('-') as ['linux' | 'darwin', 'amd64' | 'arm64'];
    if (s.binary.kind === 'release') {
      const wanted: PlatformWanted = { os, arch, variant: '' };
      const b = await this.deps.releases.obtain(s.binary.tag, wanted, { signal: ctx.signal });
      ctx.log(`Using ${b.assetName ?? key} (${b.tag ?? ''}, sha256 ${b.sha256}, signature verified).`);
      return b;
    }
    const path = s.binary.files[key];
    if (!path)
      throw new AppError(
        'RELEASE_ASSET_MISSING',
        `No binary was given for ${key}. Add one, or push from a release.`,
        { details: { platform: key } },
      );
    const b = await acceptLocalBinary(path, {
      ...(this.deps.trustedKey ? { trustedKey: this.deps.trustedKey } : {}),
    });
    if (b.warning) ctx.log(b.warning, 'warn');
    return b;
  }

  private async pushHost(
    ctx: HostContext,
    s: SshPushSettings,
    run: {
      server: VelociraptorService;
      source: string;
      binaryFor(key: (typeof PLATFORM_KEYS)[number]): Promise<VerifiedBinary>;
      noteMac(): void;
    },
  ): Promise<PushOutcome> {
    const conn = await openSsh(
      {
        host: ctx.host.host,
        port: ctx.host.port,
        username: s.login.username,
        auth: s.login.auth,
        sudo: s.login.sudo,
        jumps: s.login.jumps,
      },
      this.deps.ssh,
    );
    const onAbort = (): void => conn.close();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    try {
      const platform = await detectPlatform(conn);
      await ctx.setPlatform(describe(platform));
      if (ctx.host.os !== 'auto' && ctx.host.os !== platform.os)
        throw new AppError(
          'AGENT_PLATFORM_UNSUPPORTED',
          `The host list says ${ctx.host.host} runs ${ctx.host.os}, but it runs ${platform.os}. Fix the list.`,
          { details: { listed: ctx.host.os, detected: platform.os } },
        );
      const key = platformKey(platform);
      const root = await conn.canBecomeRoot();
      if (!root.ok) throw new AppError('SSH_SUDO_REFUSED', root.message);
      const hostRoot = this.deps.rootOf?.({ host: ctx.host.host, port: ctx.host.port }) ?? '';
      if (platform.os === 'darwin') {
        run.noteMac();
        const layout = darwinLayout(ctx.runId, hostRoot);
        return s.mode === 'uninstall'
          ? await this.uninstallMac(ctx, conn, layout, s)
          : await this.installMac(ctx, conn, layout, s, run, key);
      }
      const layout = linuxLayout(ctx.runId, hostRoot);
      return s.mode === 'uninstall'
        ? await this.uninstallLinux(ctx, conn, layout, s)
        : await this.installLinux(ctx, conn, layout, s, run, key, platform);
    } catch (e) {
      if (ctx.signal.aborted)
        throw new AppError('CANCELLED', `The push to ${ctx.host.host} was cancelled.`, { cause: e });
      throw e;
    } finally {
      ctx.signal.removeEventListener('abort', onAbort);
      conn.close();
    }
  }

  private serviceManager(conn: SshConnection, files: RemoteFiles, layout: LinuxAgentLayout): ServiceManager {
    return (this.deps.services ?? systemdServices)(conn, files, {
      prefix: layout.root,
      unitDir: layout.unitDir,
    });
  }

  private async uploadBinary(
    ctx: HostContext,
    files: RemoteFiles,
    binary: VerifiedBinary,
    dest: string,
    own: { mode: number; owner?: string; group?: string },
  ): Promise<void> {
    await ctx.create({ kind: 'remote-file', id: dest, title: 'agent binary' }, () =>
      files.install({ localPath: binary.path }, dest, own, (p) =>
        ctx.progress(
          p.total ? p.done / p.total : 0,
          `${Math.round(p.done / 1048576)} of ${Math.round(p.total / 1048576)} MiB`,
        ),
      ),
    );
    const onHost = await files.sha256(dest);
    if (onHost !== binary.sha256)
      throw new AppError(
        'AGENT_INSTALL_FAILED',
        `The binary on ${ctx.host.host} (${dest}) has sha256 ${onHost}, not ${binary.sha256} as sent. The transfer was damaged; try again.`,
        { details: { dest, expected: binary.sha256, found: onHost } },
      );
  }

  private async installLinux(
    ctx: HostContext,
    conn: SshConnection,
    layout: LinuxAgentLayout,
    s: SshPushSettings,
    run: {
      server: VelociraptorService;
      source: string;
      binaryFor(key: (typeof PLATFORM_KEYS)[number]): Promise<VerifiedBinary>;
    },
    key: (typeof PLATFORM_KEYS)[number],
    platform: RemotePlatform,
  ): Promise<PushOutcome> {
    const files = new RemoteFiles(conn, layout.staging);
    const services = this.serviceManager(conn, files, layout);
    const unsupported = services.unsupported(platform);
    if (unsupported)
      throw new AppError(
        'AGENT_PLATFORM_UNSUPPORTED',
        `${unsupported} Install the client package (deb/rpm) instead.`,
      );
    const config = agentConfig(run.source, {
      ...this.configOptions(s),
      writeback: { linux: layout.writeback },
    });
    const binary = await run.binaryFor(key);
    await ctx.enter('uploading', `${binary.assetName ?? key}`);
    await ctx.create({ kind: 'remote-dir', id: layout.staging, title: 'upload folder' }, () =>
      files.prepareStaging(),
    );
    try {
      // A re-push replaces a running agent: stop it first (its writeback, its identity, stays).
      if ((await services.status(layout.unit)).active) await services.stop(layout.unit);
      await this.uploadBinary(ctx, files, binary, layout.binary, {
        mode: 0o755,
        owner: 'root',
        group: 'root',
      });
      await ctx.create({ kind: 'remote-file', id: layout.config, title: 'client config' }, async () => {
        await files.mkdir(layout.configDir, { mode: 0o700, owner: 'root', group: 'root' });
        await files.install({ data: config.yaml }, layout.config, {
          mode: 0o600,
          owner: 'root',
          group: 'root',
        });
      });
      await ctx.enter('installing', layout.unit);
      await ctx.create({ kind: 'unit', id: layout.unit, title: 'agent service' }, () =>
        services.installUnit(layout.unit, linuxClientUnit(layout, ctx.runId)),
      );
      await services.enable(layout.unit);
      await services.start(layout.unit);
    } finally {
      await files
        .removeStaging()
        .catch((e: unknown) => ctx.log(`Removing ${layout.staging} failed: ${String(e)}`, 'warn'));
    }
    await ctx.removed([{ kind: 'remote-dir', id: layout.staging, title: 'upload folder' }]);
    await ctx.enter('verifying', 'waiting for the service and the enrolment');
    const running = await pollFor(async () => ((await services.status(layout.unit)).active ? true : null), {
      timeoutMs: this.deps.serviceStartMs ?? 30_000,
      signal: ctx.signal,
      intervalMs: 500,
    });
    if (!running)
      throw new AppError(
        'AGENT_INSTALL_FAILED',
        `The ${layout.unit} service on ${ctx.host.host} does not stay running. Its log: ${(await services.logs(layout.unit, 20).catch(() => '')).slice(-800)}`,
      );
    return this.enrolled(ctx, conn, layout.writeback, s, run.server);
  }

  private async enrolled(
    ctx: HostContext,
    conn: SshConnection,
    writeback: string,
    s: SshPushSettings,
    server: VelociraptorService,
  ): Promise<PushOutcome> {
    const t0 = Date.now();
    // Only the client_id line is read: the private key beside it never leaves the host.
    const clientId = await waitForWriteback(conn, writeback, {
      timeoutMs: s.enrollTimeoutMs,
      signal: ctx.signal,
    });
    if (!clientId)
      throw new AppError(
        'AGENT_NOT_ENROLLED',
        `The agent on ${ctx.host.host} wrote no client id to ${writeback} within ${Math.round(s.enrollTimeoutMs / 1000)} s: it has not started properly.`,
        { details: { writeback } },
      );
    ctx.progress(0.5, `client ${clientId}: waiting for the server to list it`);
    await waitForEnrollment(server, clientId, ctx.host.host, {
      timeoutMs: Math.max(5_000, s.enrollTimeoutMs - (Date.now() - t0)),
      signal: ctx.signal,
      intervalMs: 1000,
    });
    return { outcome: 'enrolled', clientId };
  }

  private async uninstallLinux(
    ctx: HostContext,
    conn: SshConnection,
    layout: LinuxAgentLayout,
    s: SshPushSettings,
  ): Promise<PushOutcome> {
    const files = new RemoteFiles(conn, layout.staging);
    const services = this.serviceManager(conn, files, layout);
    const clientId = await this.clientIdOn(conn, layout.writeback);
    await ctx.enter('installing', 'removing the agent');
    await services.removeUnit(layout.unit);
    await files.remove(layout.binary);
    await files.remove(layout.config);
    await conn.exec(`rmdir ${sh([layout.configDir])} 2>/dev/null; true`, { root: true });
    const gone = [
      { kind: 'unit' as const, id: layout.unit, title: 'agent service' },
      { kind: 'remote-file' as const, id: layout.binary, title: 'agent binary' },
      { kind: 'remote-file' as const, id: layout.config, title: 'client config' },
    ];
    if (!s.keepWriteback) {
      await files.remove(layout.writeback);
      await files.remove(`${layout.writeback}.bak`);
      gone.push({ kind: 'remote-file', id: layout.writeback, title: 'writeback (client identity)' });
    }
    await ctx.removed(gone);
    await ctx.enter('verifying', 'checking that nothing is left');
    const left = await files.existing([
      layout.binary,
      layout.config,
      files.stagingDir,
      ...(s.keepWriteback ? [] : [layout.writeback]),
    ]);
    const status = await services.status(layout.unit);
    if (left.length || status.active)
      throw new AppError(
        'AGENT_INSTALL_FAILED',
        `Uninstalling from ${ctx.host.host} left ${[...left, ...(status.active ? [`the running ${layout.unit}`] : [])].join(', ')}.`,
      );
    return { outcome: 'removed', ...(clientId ? { clientId } : {}) };
  }

  private async clientIdOn(conn: SshConnection, writeback: string): Promise<string | null> {
    const r = await conn.exec(`sed -n 's/^client_id: *//p' ${sh([writeback])} 2>/dev/null`, { root: true });
    return writebackClientId(`client_id: ${r.stdout.trim()}`);
  }

  private macControl(conn: SshConnection): ReturnType<MacServiceFactory> {
    return this.deps.macServices?.(conn) ?? new LaunchdServiceControl(conn);
  }

  private async installMac(
    ctx: HostContext,
    conn: SshConnection,
    layout: DarwinAgentLayout,
    s: SshPushSettings,
    run: {
      server: VelociraptorService;
      source: string;
      binaryFor(key: (typeof PLATFORM_KEYS)[number]): Promise<VerifiedBinary>;
    },
    key: (typeof PLATFORM_KEYS)[number],
  ): Promise<PushOutcome> {
    const files = new RemoteFiles(conn, layout.staging);
    const control = this.macControl(conn);
    const config = agentConfig(run.source, {
      ...this.configOptions(s),
      writeback: { darwin: layout.writeback },
      darwinInstallPath: layout.binary,
    });
    const binary = await run.binaryFor(key);
    await ctx.enter('uploading', `${binary.assetName ?? key}`);
    const stagedBinary = `${layout.staging}/velociraptor`;
    const stagedConfig = `${layout.staging}/client.config.yaml`;
    await ctx.create({ kind: 'remote-dir', id: layout.staging, title: 'upload folder' }, () =>
      files.prepareStaging(),
    );
    try {
      // root's group is wheel on macOS: only the owner is set.
      await this.uploadBinary(ctx, files, binary, stagedBinary, { mode: 0o700, owner: 'root' });
      await files.install({ data: config.yaml }, stagedConfig, { mode: 0o600, owner: 'root' });
      await ctx.enter('installing', `velociraptor service install (${layout.label})`);
      // A re-push replaces a loaded job: unload it first so its binary is not overwritten while running.
      if ((await control.status(layout)).active) await control.remove(layout);
      await ctx.create(
        [
          { kind: 'remote-file', id: layout.binary, title: 'agent binary' },
          { kind: 'remote-file', id: layout.config, title: 'client config' },
          { kind: 'service', id: layout.plist, title: `launchd job ${layout.label}` },
        ],
        () => control.install(stagedBinary, stagedConfig, layout),
      );
      // `service install` copies the config with mode 0755; only root (the agent) needs to read it.
      await conn.run(sh(['chmod', '0600', layout.config]), {
        root: true,
        what: `Restricting ${layout.config}`,
      });
      // Velociraptor writes the plist with a newline before the XML declaration; launchd accepts it.
      const plist = await conn.run(sh(['cat', layout.plist]), {
        root: true,
        what: `Reading ${layout.plist}`,
      });
      const parsed = parsePlist(plist.stdout.trimStart());
      checkAgentPlist(parsed as Record<string, unknown>, layout);
    } finally {
      await conn
        .run(`rm -rf -- ${sh([layout.staging])}`, { what: `Removing ${layout.staging}`, root: true })
        .catch((e: unknown) => ctx.log(`Removing ${layout.staging} failed: ${String(e)}`, 'warn'));
    }
    await ctx.removed([{ kind: 'remote-dir', id: layout.staging, title: 'upload folder' }]);
    await ctx.enter('verifying', 'waiting for the service and the enrolment');
    const running = await pollFor(async () => ((await control.status(layout)).active ? true : null), {
      timeoutMs: this.deps.serviceStartMs ?? 30_000,
      signal: ctx.signal,
      intervalMs: 500,
    });
    if (!running)
      throw new AppError(
        'AGENT_INSTALL_FAILED',
        `The launchd job ${layout.label} on ${ctx.host.host} is not running. ${(await control.logs(layout).catch(() => '')).slice(-800)}`,
      );
    return this.enrolled(ctx, conn, layout.writeback, s, run.server);
  }

  private async uninstallMac(
    ctx: HostContext,
    conn: SshConnection,
    layout: DarwinAgentLayout,
    s: SshPushSettings,
  ): Promise<PushOutcome> {
    const control = this.macControl(conn);
    const clientId = await this.clientIdOn(conn, layout.writeback);
    await ctx.enter('installing', 'removing the agent');
    await control.remove(layout);
    const paths = [
      layout.binary,
      layout.config,
      ...(s.keepWriteback ? [] : [layout.writeback, `${layout.writeback}.bak`]),
    ];
    await conn.run(`rm -f -- ${sh(paths)}`, { root: true, what: 'Removing the agent files' });
    await ctx.removed([
      { kind: 'service', id: layout.plist, title: `launchd job ${layout.label}` },
      { kind: 'remote-file', id: layout.binary, title: 'agent binary' },
      { kind: 'remote-file', id: layout.config, title: 'client config' },
      ...(s.keepWriteback
        ? []
        : [{ kind: 'remote-file' as const, id: layout.writeback, title: 'writeback (client identity)' }]),
    ]);
    await ctx.enter('verifying', 'checking that nothing is left');
    const status = await control.status(layout);
    const r = await conn.exec(
      `for p in ${sh([layout.plist, ...paths])}; do [ -e "$p" ] && echo "$p"; done; true`,
      { root: true },
    );
    const left = r.stdout.split('\n').filter(Boolean);
    if (left.length || status.active)
      throw new AppError(
        'AGENT_INSTALL_FAILED',
        `Uninstalling from ${ctx.host.host} left ${[...left, ...(status.active ? ['the running job'] : [])].join(', ')}.`,
      );
    return { outcome: 'removed', ...(clientId ? { clientId } : {}) };
  }
}

/** Whether an error means the host itself refused us (not worth another host-key prompt). */
export function isHostKeyProblem(e: unknown): boolean {
  return isAppError(e, 'SSH_HOST_KEY_MISMATCH') || isAppError(e, 'SSH_HOST_KEY_UNKNOWN');
}
