/**
 * The "Linux host over SSH" target: a Velociraptor server installed as a systemd service on a host the
 * responder reaches over SSH. Never Velociraptor's `debian server` package: it carries the keys (CA
 * included). Everything travels over SFTP (never a command line or an environment variable) and every
 * file, folder, unit and user made on the host is a journaled resource, so clean-up removes exactly
 * those.
 *
 * Steps:
 *   host        OS, architecture, service manager (uname, /etc/os-release)
 *   binary      the verified release for that OS/arch from the cache, or the responder's own file
 *   identity    CA, certificates, API identity, admin password → keychain (server-identity.ts)
 *   account     the `velociraptor` system user (only when absent: an existing one is used and kept)
 *   install     the binary at /usr/local/bin/velociraptor (0755), its sha256 checked on the host
 *   config      /etc/velociraptor (0700) with server.config.yaml (0600) and the datastore, owned by it
 *   register    `velociraptor --config F user add NAME RANDOM --role api,investigator` as that user,
 *               from a 0700 script (the one-time password never reaches sudo's log)
 *   unit        velociraptor_server.service with upstream's settings and the profile's limits
 *   expiry      (rapid profile) a timer on the host that destroys the deployment at auto-destroy time
 *   start       start and wait for the three ports
 *   verify-api, verify-gui, connect   through an SSH tunnel unless the responder exposed API / GUI
 */
import type { PreflightCheck, ResourceRef } from '../../../../shared/deploy';
import { AppError, isAppError, messageOf } from '../../../../shared/errors';
import { serverUrl, webUrl } from '../../pki/index';
import {
  acceptFileBinary,
  autoDestroyAt,
  binaryStep,
  checkApi,
  checkGui,
  connectStep,
  parseSettings,
} from '../common-steps';
import type { ConnectionSink } from '../connection-sink';
import type {
  Deployer,
  DeploymentPlan,
  DeployRequest,
  PlanContext,
  PreflightContext,
  RemoveContext,
  StepContext,
  StepDefinition,
} from '../model';
import type { PlatformWanted } from '../releases/assets';
import type { ReleaseCache } from '../releases/cache';
import type { TrustedKey } from '../releases/signature';
import {
  apiClientConfig,
  checkUserNames,
  identitySecrets,
  loadServerConfig,
  mintIdentities,
  registerApiUserArgv,
} from '../server-identity';
import { createSystemUser, removeSystemUser, userExists } from '../ssh/accounts';
import type { SshDeps } from '../ssh/connect';
import type { SshConnection } from '../ssh/connection';
import { detectPlatform, listeningSockets } from '../ssh/platform';
import { SshPool } from '../ssh/pool';
import { RemoteFiles } from '../ssh/remote-files';
import { systemdServices, type ServiceManager, type ServiceManagerFactory } from '../ssh/services';
import { sh } from '../ssh/shell';
import { describeHop, targetScope } from '../ssh/target';
import { hostLayout, type HostLayout } from './layout';
import { hostChecks, settingsChecks } from './preflight';
import { SshHostSettings, type SshHostSettingsInput } from './settings';
import { expireScript, expireServiceUnit, expireTimerUnit, serverUnit } from './units';

export interface SshHostDeployerDeps {
  ssh: SshDeps;
  releases: ReleaseCache;
  connections: ConnectionSink;
  /** The key release signatures must verify against (Velocidex's by default; tests use their own). */
  trustedKey?: TrustedKey;
  services?: ServiceManagerFactory;
}

const STEP_TITLES = {
  host: 'Host system and service manager',
  binary: 'Verified Velociraptor binary',
  identity: 'Certificates, API identity and admin password',
  account: 'Service user',
  install: 'Binary on the host',
  config: 'Server config and datastore',
  register: 'Register the API identity',
  unit: 'Service unit',
  expiry: 'Self-destruction timer on the host',
  start: 'Start and wait for the ports',
  'verify-api': 'API answers as the registered identity',
  'verify-gui': 'GUI accepts the admin password',
  connect: "Add to the app's connections",
} as const;
type StepId = keyof typeof STEP_TITLES;
const VERIFY: readonly StepId[] = ['verify-api', 'verify-gui', 'connect'];

/** A plan of this target with its settings checked (a plan read back from the journal). */
export function sshHostPlan(plan: DeploymentPlan): DeploymentPlan<SshHostSettings> {
  if (plan.target !== 'ssh')
    throw new AppError('INVALID_ARGUMENT', `Deployment ${plan.name} is not an SSH host deployment.`);
  return { ...plan, settings: SshHostSettings.parse(plan.settings) };
}

function releasePlatform(arch: string, variant: string): PlatformWanted {
  if (arch !== 'amd64' && arch !== 'arm64')
    throw new AppError('RELEASE_ASSET_MISSING', `Velociraptor ships no Linux server for ${arch}.`);
  return { os: 'linux', arch, variant };
}

export class SshHostDeployer implements Deployer<SshHostSettings> {
  readonly target = 'ssh' as const;
  readonly kinds = ['remote-file', 'unit', 'system-user'] as const;
  private readonly pool: SshPool;
  private readonly services: ServiceManagerFactory;

  constructor(private readonly deps: SshHostDeployerDeps) {
    this.pool = new SshPool(deps.ssh);
    this.services = deps.services ?? systemdServices;
  }

  /** Closes pooled SSH connections (app shutdown, end of a test). */
  close(): void {
    this.pool.closeAll();
  }

  layout(plan: { deploymentId: string; settings: SshHostSettings }): HostLayout {
    return hostLayout(plan.deploymentId, plan.settings.prefix, plan.settings.datastoreDir);
  }

  /** Runs `work` on the host with its files and service manager. */
  onHost<T>(
    s: SshHostSettings,
    layout: HostLayout,
    work: (h: { conn: SshConnection; files: RemoteFiles; services: ServiceManager }) => Promise<T>,
  ): Promise<T> {
    return this.pool.with(s.ssh, (conn) => {
      const files = new RemoteFiles(conn, layout.staging);
      return work({ conn, files, services: this.services(conn, files, layout) });
    });
  }

  private resources(plan: {
    deploymentId: string;
    name: string;
    settings: SshHostSettings;
  }): Record<StepId, ResourceRef[]> {
    const s = plan.settings;
    const l = this.layout(plan);
    const scope = targetScope(s.ssh);
    const file = (id: string, title: string, type: 'file' | 'dir' = 'file'): ResourceRef => ({
      kind: 'remote-file',
      id,
      scope,
      title,
      facts: { type },
    });
    const unit = (name: string, title: string): ResourceRef => ({
      kind: 'unit',
      id: name,
      scope,
      title,
      facts: { path: `${l.unitDir}/${name}` },
    });
    const staging = file(l.staging, 'upload folder of the login user (removed after use)', 'dir');
    const secrets = identitySecrets(plan.deploymentId);
    return {
      host: [],
      binary: [],
      identity: [secrets.ca, secrets.serverConfig, secrets.apiIdentity, secrets.adminPassword],
      account: [
        { kind: 'system-user', id: s.serviceUser, scope, title: `system user ${s.serviceUser} (if absent)` },
      ],
      install: [staging, file(l.binary, 'Velociraptor binary')],
      config: [
        staging,
        file(l.configDir, 'config folder', 'dir'),
        file(l.config, 'server config (0600; no CA key)'),
        file(l.datastore, 'datastore folder', 'dir'),
      ],
      register: [staging],
      unit: [staging, unit(l.serverUnit, 'server service unit')],
      expiry: [
        staging,
        file(l.expireScript, 'self-destruction script'),
        unit(l.expireService, 'self-destruction service'),
        unit(l.expireTimer, 'self-destruction timer'),
      ],
      start: [],
      'verify-api': [],
      'verify-gui': [],
      connect: [
        {
          kind: 'connection',
          id: plan.name,
          scope: 'app',
          title: `connection "${plan.name}" (API config in the keychain)`,
        },
      ],
    };
  }

  private stepIds(rapid: boolean): StepId[] {
    return (Object.keys(STEP_TITLES) as StepId[]).filter((id) => id !== 'expiry' || rapid);
  }

  async plan(
    request: DeployRequest<SshHostSettingsInput>,
    ctx: PlanContext,
  ): Promise<DeploymentPlan<SshHostSettings>> {
    const s = parseSettings(SshHostSettings, request.settings, 'SSH host');
    checkUserNames(s);
    this.layout({ deploymentId: ctx.deploymentId, settings: s });
    const warnings: string[] = [];
    if (s.binary.kind === 'file') {
      // The host's platform is learnt at the first step; here only the signature is checked.
      const bin = await acceptFileBinary(s.binary, this.deps.trustedKey);
      if (bin.warning) warnings.push(bin.warning);
    }
    for (const c of settingsChecks(s)) if (c.status !== 'ok') warnings.push(`${c.title}: ${c.message}`);
    if (!s.api.expose)
      warnings.push(
        `The API listens on the host's 127.0.0.1:${s.api.port} only. The saved connection dials 127.0.0.1:${s.api.port}: keep a tunnel open while you use it (ssh -N -L ${s.api.port}:127.0.0.1:${s.api.port} ${s.ssh.username}@${s.ssh.host} -p ${s.ssh.port}).`,
      );
    const rapid = ctx.profile.autoDestroyHours !== null;
    const resources = this.resources({ deploymentId: ctx.deploymentId, settings: s, name: request.name });
    return {
      deploymentId: ctx.deploymentId,
      name: request.name,
      target: 'ssh',
      profile: ctx.profile,
      settings: s,
      steps: this.stepIds(rapid).map((id) => ({ id, title: STEP_TITLES[id], resources: resources[id] })),
      warnings,
      createdAt: ctx.now.toISOString(),
      autoDestroyAt: autoDestroyAt(ctx),
    };
  }

  async preflight(plan: DeploymentPlan<SshHostSettings>, ctx: PreflightContext): Promise<PreflightCheck[]> {
    const s = plan.settings;
    const layout = this.layout(plan);
    const checks = settingsChecks(s);
    ctx.progress({ message: `Connecting to ${describeHop(s.ssh)}` });
    try {
      const host = await this.onHost(s, layout, (h) =>
        hostChecks({
          ...h,
          layout,
          settings: s,
          profile: plan.profile,
          rapid: plan.profile.autoDestroyHours !== null,
        }),
      );
      checks.unshift({
        id: 'ssh',
        title: 'SSH login',
        status: 'ok',
        message: `Logged in to ${describeHop(s.ssh)}.`,
      });
      checks.push(...host.checks);
    } catch (e) {
      checks.unshift({ id: 'ssh', title: 'SSH login', status: 'failed', message: messageOf(e) });
    }
    const exists = await this.deps.connections.has(plan.name);
    checks.push({
      id: 'connection',
      title: 'Connection name free',
      status: exists ? 'failed' : 'ok',
      message: exists ? `A connection named "${plan.name}" exists already; choose another name.` : plan.name,
    });
    return checks;
  }

  steps(plan: DeploymentPlan<SshHostSettings>): StepDefinition[] {
    const run: Record<StepId, (ctx: StepContext) => Promise<void>> = {
      host: (ctx) => this.host(plan, ctx),
      binary: (ctx) => this.binary(plan, ctx),
      identity: (ctx) =>
        mintIdentities(ctx, {
          frontendHostname: plan.settings.frontend.hostname,
          ports: {
            frontend: plan.settings.frontend.port,
            api: plan.settings.api.port,
            gui: plan.settings.gui.port,
          },
          frontendBindAddress: plan.settings.frontend.bindAddress,
          placement: 'host',
          ...(plan.settings.api.expose ? { exposeApi: true } : {}),
          ...(plan.settings.gui.expose ? { exposeGui: true } : {}),
          datastoreDir: this.layout(plan).datastore,
          adminUser: plan.settings.adminUser,
          apiUser: plan.settings.apiUser,
          certificates: plan.profile.certificates,
          logRetentionDays: plan.profile.logRetentionDays,
          ...(typeof ctx.outputs.binaryVersion === 'string' ? { version: ctx.outputs.binaryVersion } : {}),
        }),
      account: (ctx) => this.account(plan, ctx),
      install: (ctx) => this.install(plan, ctx),
      config: (ctx) => this.config(plan, ctx),
      register: (ctx) => this.register(plan, ctx),
      unit: (ctx) => this.unit(plan, ctx),
      expiry: (ctx) => this.expiry(plan, ctx),
      start: (ctx) => this.start(plan, ctx),
      'verify-api': (ctx) => this.verifyApi(plan, ctx),
      'verify-gui': (ctx) => this.verifyGui(plan, ctx),
      connect: (ctx) => this.connect(plan, ctx),
    };
    return this.stepIds(plan.profile.autoDestroyHours !== null).map((id) => ({
      id,
      title: STEP_TITLES[id],
      phase: VERIFY.includes(id) ? ('verify' as const) : ('apply' as const),
      run: run[id],
    }));
  }

  private refs(plan: DeploymentPlan<SshHostSettings>): Record<StepId, ResourceRef[]> {
    return this.resources(plan);
  }

  private async host(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const p = await this.onHost(plan.settings, this.layout(plan), ({ conn }) => detectPlatform(conn));
    if (p.os !== 'linux') throw new AppError('DEPLOY_FAILED', `The host runs ${p.os}, not Linux.`);
    releasePlatform(p.arch, '');
    await ctx.setOutput('hostArch', p.arch);
    await ctx.setOutput('hostSystem', p.distro?.prettyName ?? p.os);
    await ctx.setOutput('hostKernel', p.kernel);
    ctx.log(`${p.distro?.prettyName ?? p.os}, ${p.machine}, ${p.cpus} CPU(s), init ${p.init}`);
  }

  private async binary(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const b = plan.settings.binary;
    const platform = releasePlatform(String(ctx.outputs.hostArch), b.kind === 'release' ? b.variant : '');
    await binaryStep(ctx, b, platform, this.deps);
  }

  private async account(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const layout = this.layout(plan);
    await this.onHost(s, layout, async ({ conn }) => {
      if (await userExists(conn, s.serviceUser)) {
        ctx.log(`The user ${s.serviceUser} exists already; the server runs as it and it is kept`);
        await ctx.setOutput('serviceUserCreated', false);
        return;
      }
      await ctx.create(this.refs(plan).account[0]!, () =>
        createSystemUser(conn, {
          name: s.serviceUser,
          home: layout.configDir.slice(layout.prefix.length) || '/',
        }),
      );
      await ctx.setOutput('serviceUserCreated', true);
    });
  }

  /** Runs `work` with the staging folder made (journaled) before and removed after. */
  async staged(
    plan: DeploymentPlan<SshHostSettings>,
    ctx: StepContext,
    work: (h: { conn: SshConnection; files: RemoteFiles; services: ServiceManager }) => Promise<void>,
  ): Promise<void> {
    const staging = this.refs(plan).install[0]!;
    await this.onHost(plan.settings, this.layout(plan), async (h) => {
      await ctx.create(staging, () => h.files.prepareStaging());
      await work(h);
    });
    await ctx.remove(staging);
  }

  private async install(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const [, binaryRef] = this.refs(plan).install as [ResourceRef, ResourceRef];
    const local = String(ctx.outputs.binaryPath ?? '');
    const sha = String(ctx.outputs.binarySha256 ?? '');
    if (!local || !sha) throw new AppError('INTERNAL', 'The binary step left no verified binary.');
    await this.staged(plan, ctx, async ({ files }) => {
      await ctx.create(binaryRef, () =>
        files.install(
          { localPath: local },
          binaryRef.id,
          { mode: 0o755, owner: 'root', group: 'root' },
          (p) =>
            ctx.progress({
              done: p.done,
              total: p.total,
              fraction: p.total ? p.done / p.total : 0,
              message: 'Uploading',
            }),
        ),
      );
      const remote = await files.sha256(binaryRef.id);
      if (remote !== sha)
        throw new AppError(
          'DEPLOY_FAILED',
          `The binary on the host has SHA-256 ${remote}, not the verified ${sha}: it changed on the way.`,
        );
      ctx.log(`Installed ${binaryRef.id} (SHA-256 checked on the host)`);
    });
  }

  private async config(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const [, dirRef, configRef, dataRef] = this.refs(plan).config as [
      ResourceRef,
      ResourceRef,
      ResourceRef,
      ResourceRef,
    ];
    const yaml = await loadServerConfig(ctx.secrets, plan.deploymentId);
    const own = { owner: s.serviceUser, group: s.serviceUser };
    await this.staged(plan, ctx, async ({ files }) => {
      await ctx.create(dirRef, () => files.mkdir(dirRef.id, { mode: 0o700, ...own }));
      await ctx.create(configRef, () => files.install({ data: yaml }, configRef.id, { mode: 0o600, ...own }));
      await ctx.create(dataRef, () => files.mkdir(dataRef.id, { mode: 0o700, ...own }));
    });
    ctx.log(`Config at ${configRef.id} (0600, ${s.serviceUser}); datastore ${dataRef.id}`);
  }

  private async register(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const layout = this.layout(plan);
    const argv = registerApiUserArgv(layout.config, s.apiUser, layout.binary);
    // From a script in the 0700 upload folder: sudo logs the command it runs, and the one-time
    // password in these arguments must not land in the host's auth log.
    const script = [
      'set -e',
      `if command -v runuser >/dev/null 2>&1; then exec runuser -u ${sh([s.serviceUser])} -- ${sh(argv)}; fi`,
      `exec su -s /bin/sh ${sh([s.serviceUser])} -c ${sh([sh(argv)])}`,
      '',
    ].join('\n');
    await this.staged(plan, ctx, async ({ conn }) => {
      const path = `${layout.staging}/register.sh`;
      await conn.uploadData(script, path, { mode: 0o700 });
      const r = await conn.exec(`sh ${sh([path])}`, { root: true, timeoutMs: 120_000 });
      await conn.exec(`rm -f -- ${sh([path])}`);
      if (r.code !== 0)
        throw new AppError(
          'DEPLOY_FAILED',
          `Registering the API identity failed (exit ${r.code ?? r.signal ?? '?'}): ${`${r.stdout}\n${r.stderr}`.trim().slice(-2000) || 'no output'}`,
        );
    });
    ctx.log(`API identity ${s.apiUser} registered with roles api, investigator`);
  }

  private async unit(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const layout = this.layout(plan);
    const text = serverUnit({
      layout,
      user: plan.settings.serviceUser,
      limits: plan.profile.limits,
      deploymentId: plan.deploymentId,
      name: plan.name,
    });
    await this.staged(plan, ctx, async ({ services }) => {
      await ctx.create(this.refs(plan).unit[1]!, () => services.installUnit(layout.serverUnit, text));
      await services.enable(layout.serverUnit);
    });
    await ctx.setOutput('serviceUnit', layout.serverUnit);
  }

  /** Everything the deployment makes on the host, for the self-destruction script. */
  private madeOnHost(plan: DeploymentPlan<SshHostSettings>, userCreated: boolean) {
    const r = this.refs(plan);
    const files = [...r.install, ...r.config].filter((x) => x.facts?.type === 'file').map((x) => x.id);
    const folders = [...r.config]
      .filter((x) => x.facts?.type === 'dir' && x.id !== this.layout(plan).staging)
      .map((x) => x.id);
    return {
      files: [...new Set(files)],
      folders: [...new Set(folders)],
      user: userCreated ? plan.settings.serviceUser : null,
    };
  }

  private async expiry(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const hours = plan.profile.autoDestroyHours;
    if (hours === null) return;
    const layout = this.layout(plan);
    const at = new Date(ctx.now().getTime() + hours * 3_600_000);
    const [, scriptRef, serviceRef, timerRef] = this.refs(plan).expiry as [
      ResourceRef,
      ResourceRef,
      ResourceRef,
      ResourceRef,
    ];
    await this.staged(plan, ctx, async ({ files, services }) => {
      const script = expireScript({
        layout,
        deploymentId: plan.deploymentId,
        at,
        services,
        ...this.madeOnHost(plan, ctx.outputs.serviceUserCreated === true),
      });
      await ctx.create(scriptRef, () =>
        files.install({ data: script }, scriptRef.id, { mode: 0o700, owner: 'root', group: 'root' }),
      );
      await ctx.create(serviceRef, () =>
        services.installUnit(layout.expireService, expireServiceUnit(layout, plan.deploymentId)),
      );
      await ctx.create(timerRef, () =>
        services.installUnit(layout.expireTimer, expireTimerUnit(layout, plan.deploymentId, at)),
      );
      await services.enable(layout.expireTimer);
      await services.start(layout.expireTimer);
    });
    await ctx.setOutput('targetDestroyAt', at.toISOString());
    await ctx.setOutput('expiryTimer', layout.expireTimer);
    ctx.log(`The host destroys this deployment by itself at ${at.toISOString()} (${layout.expireTimer})`);
  }

  /**
   * Moves the host's self-destruction to `at` (the "extend" action; the app's reaper records the new
   * time in the journal), and arms it again after a legal hold disarmed it (enabled, started). Refused
   * when the timer is gone.
   */
  async rescheduleExpiry(planIn: DeploymentPlan, at: Date): Promise<void> {
    const plan = sshHostPlan(planIn);
    const layout = this.layout(plan);
    await this.onHost(plan.settings, layout, async ({ files, services }) => {
      if (!(await files.exists(services.unitPath(layout.expireTimer))))
        throw new AppError('NOT_FOUND', `The self-destruction timer of ${plan.name} is gone from the host.`);
      await files.prepareStaging();
      try {
        await services.installUnit(layout.expireTimer, expireTimerUnit(layout, plan.deploymentId, at));
        await services.stop(layout.expireTimer);
        await services.enable(layout.expireTimer);
        await services.start(layout.expireTimer);
      } finally {
        await files.removeStaging();
      }
    });
  }

  /**
   * Stops and disables the host's self-destruction timer (a legal hold): it neither fires nor comes
   * back at a reboot. Its unit files stay, so `rescheduleExpiry` arms it again. Returns false when
   * the timer's unit is gone from the host (it fired, or was removed there): nothing to disarm.
   */
  async disarmExpiry(planIn: DeploymentPlan): Promise<boolean> {
    const plan = sshHostPlan(planIn);
    const layout = this.layout(plan);
    return this.onHost(plan.settings, layout, async ({ files, services }) => {
      if (!(await files.exists(services.unitPath(layout.expireTimer)))) return false;
      await services.stop(layout.expireTimer);
      await services.disable(layout.expireTimer);
      return true;
    });
  }

  private async start(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const layout = this.layout(plan);
    const t0 = Date.now();
    await this.onHost(s, layout, async ({ conn, services }) => {
      await services.start(layout.serverUnit);
      const wanted = [s.frontend.port, s.api.port, s.gui.port];
      for (;;) {
        if (ctx.signal.aborted) throw new AppError('CANCELLED', 'The deployment was cancelled.');
        const status = await services.status(layout.serverUnit);
        if (!status.active) {
          const logs = await services.logs(layout.serverUnit, 50).catch((e: unknown) => messageOf(e));
          throw new AppError(
            'DEPLOY_FAILED',
            `The server stopped (${status.state}) instead of starting: ${logs.trim().slice(-2000) || 'no output'}`,
          );
        }
        const listening = await listeningSockets(conn);
        const missing = wanted.filter((p) => !listening.some((l) => l.port === p));
        if (!missing.length) break;
        if (Date.now() - t0 > s.startTimeoutMs)
          throw new AppError(
            'TIMEOUT',
            `The server did not listen on port(s) ${missing.join(', ')} within ${Math.round(s.startTimeoutMs / 1000)} s.`,
          );
        ctx.progress({
          message: `Waiting for port(s) ${missing.join(', ')} (${Math.round((Date.now() - t0) / 1000)} s)`,
        });
        await new Promise((r) => setTimeout(r, 300));
      }
    });
    const host = s.ssh.host.includes(':') ? `[${s.ssh.host}]` : s.ssh.host;
    await ctx.setOutput('apiEndpoint', s.api.expose ? `${host}:${s.api.port}` : `127.0.0.1:${s.api.port}`);
    await ctx.setOutput('guiUrl', webUrl(s.gui.expose ? s.ssh.host : '127.0.0.1', s.gui.port));
    await ctx.setOutput('frontendUrl', serverUrl(s.frontend.hostname, s.frontend.port));
    if (!s.api.expose || !s.gui.expose)
      await ctx.setOutput(
        'tunnelCommand',
        `ssh -N${s.api.expose ? '' : ` -L ${s.api.port}:127.0.0.1:${s.api.port}`}${s.gui.expose ? '' : ` -L ${s.gui.port}:127.0.0.1:${s.gui.port}`} -p ${s.ssh.port} ${s.ssh.username}@${s.ssh.host}`,
      );
    ctx.log(`Listening after ${Math.round((Date.now() - t0) / 100) / 10} s`);
  }

  /** Runs `work` with `host:port` reachable from here: directly when exposed, else through a tunnel. */
  async reach<T>(
    plan: DeploymentPlan<SshHostSettings>,
    port: number,
    exposed: boolean,
    work: (address: string) => Promise<T>,
  ): Promise<T> {
    const s = plan.settings;
    if (exposed) return work(`${s.ssh.host.includes(':') ? `[${s.ssh.host}]` : s.ssh.host}:${port}`);
    return this.onHost(s, this.layout(plan), async ({ conn }) => {
      const fwd = await conn.forwardLocal('127.0.0.1', port);
      try {
        return await work(`127.0.0.1:${fwd.port}`);
      } finally {
        await fwd.close();
      }
    });
  }

  private async verifyApi(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const user = await this.reach(plan, s.api.port, s.api.expose, async (address) =>
      checkApi(ctx, await apiClientConfig(ctx.secrets, plan.deploymentId, s.apiUser, address), s.apiUser),
    );
    ctx.log(`The API answered over mTLS as ${user}${s.api.expose ? '' : ' (through an SSH tunnel)'}`);
  }

  private async verifyGui(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    await checkGui(ctx, plan.deploymentId, s.adminUser, (check) =>
      this.reach(plan, s.gui.port, s.gui.expose, (address) => check(`https://${address}/`)),
    );
    ctx.log(`The GUI accepted ${s.adminUser}'s password and refused a wrong one`);
  }

  private async connect(plan: DeploymentPlan<SshHostSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const yaml = await apiClientConfig(
      ctx.secrets,
      plan.deploymentId,
      s.apiUser,
      String(ctx.outputs.apiEndpoint),
    );
    await connectStep(ctx, this.refs(plan).connect[0]!, this.deps.connections, plan.name, yaml);
  }

  async remove(ref: ResourceRef, ctx: RemoveContext): Promise<void> {
    const s = SshHostSettings.parse(ctx.settings);
    // Removal needs the install root and unit folder only; no staging folder is made under this id.
    const layout = hostLayout('removal', s.prefix, s.datastoreDir);
    if (s.prefix && !ref.id.startsWith(`${s.prefix}/`) && ref.kind === 'remote-file')
      throw new AppError(
        'INVALID_ARGUMENT',
        `Refusing to remove ${ref.id}: it is outside the install root ${s.prefix}.`,
      );
    try {
      await this.onHost(s, layout, async ({ conn, files, services }) => {
        if (ref.kind === 'system-user') await removeSystemUser(conn, ref.id);
        else if (ref.kind === 'unit') await services.removeUnit(ref.id);
        else if (ref.kind === 'remote-file') {
          if (ref.facts?.type === 'dir') await files.removeTree(ref.id);
          else await files.remove(ref.id);
        } else throw new AppError('INTERNAL', `The SSH host target does not make ${ref.kind} resources.`);
      });
      ctx.log(`Removed ${ref.kind} ${ref.id} on ${describeHop(s.ssh)}`);
    } catch (e) {
      throw isAppError(e)
        ? e
        : new AppError('SSH_COMMAND_FAILED', `Removing ${ref.id}: ${messageOf(e)}`, { cause: e });
    }
  }
}
