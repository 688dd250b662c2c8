/**
 * The local lab: one click gives the responder a Velociraptor server on their own machine, with a
 * client of that same machine enrolled — to try artifacts, notebooks and hunts before an incident.
 * The verified release for this machine's OS/arch (or the responder's own binary) runs as `frontend`
 * from our server config, and as `client` from our client config; the app's API identity is
 * registered before the first start; then the API, the GUI and the client's enrolment are checked
 * and the server joins the app's connections. Everything lives in one folder of the app's data dir
 * (mode 0700: the server config holds the Frontend key — never the CA key); every file and process is
 * journaled, so stop-and-remove (or clean-up after a crash) ends exactly those processes and deletes
 * exactly those files.
 *
 * Steps: binary, identity, files, register, server, client; verify: verify-api, verify-gui,
 * verify-client, connect.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { parse, stringify } from 'yaml';
import { z } from 'zod';
import type { PreflightCheck, ResourceRef } from '../../../../shared/deploy';
import { AppError, messageOf } from '../../../../shared/errors';
import { writeClientConfig } from '../../pki/index';
import { ConnectionRegistry, vqlBuilder } from '../../velociraptor/index';
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
import { portFree } from '../docker/preflight';
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
import { hostPlatform } from '../releases/assets';
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
import { alive, readPidFile, startDetached, stopProcess } from './processes';

const Port = z.number().int().min(1).max(65535);

export const LabSettings = z.object({
  binary: z.union([
    z.object({ kind: z.literal('release'), tag: z.string().min(1) }),
    z.object({ kind: z.literal('file'), path: z.string().min(1), signaturePath: z.string().optional() }),
  ]),
  /** Ports on 127.0.0.1; absent ones are Velociraptor's defaults when free, else free ports (chosen at plan). */
  ports: z.object({ frontend: Port, api: Port, gui: Port }).partial().default({}),
  /** Velociraptor's metrics listener on 127.0.0.1: 8003 when free, else a free port (chosen at plan). */
  monitoringPort: Port.optional(),
  /** Enrol a client of this machine (default yes). */
  client: z.boolean().default(true),
  adminUser: z.string().default('admin'),
  apiUser: z.string().default('megaraptor-app'),
  /** How long the server may take to listen, and the client to enrol; default 90 s. */
  startTimeoutMs: z.number().int().min(1000).default(90_000),
});
export type LabSettingsInput = z.input<typeof LabSettings>;
/** As planned: the ports chosen and the lab folder named. */
export type LabSettings = z.output<typeof LabSettings> & {
  ports: { frontend: number; api: number; gui: number };
  dir: string;
};

/** The settings as planned (ports chosen, folder named): what the journal holds. */
export const PlannedLabSettings = LabSettings.extend({
  ports: z.object({ frontend: Port, api: Port, gui: Port }),
  dir: z.string().min(1),
});

export interface LabDeployerDeps {
  /** Where labs live: `<dataDir>/labs`; each lab gets a folder named after its deployment. */
  labsDir: string;
  releases: ReleaseCache;
  connections: ConnectionSink;
  trustedKey?: TrustedKey;
}

const STEP_TITLES = {
  binary: 'Verified Velociraptor binary for this machine',
  identity: 'Certificates, API identity and admin password',
  files: 'Lab folder with the server and client configs',
  register: 'Register the API identity',
  server: 'Start the server',
  client: 'Start a client of this machine',
  'verify-api': 'API answers as the registered identity',
  'verify-gui': 'GUI accepts the admin password',
  'verify-client': 'The client enrolled',
  connect: "Add to the app's connections",
} as const;
type StepId = keyof typeof STEP_TITLES;
const VERIFY: readonly StepId[] = ['verify-api', 'verify-gui', 'verify-client', 'connect'];
const DEFAULT_PORTS = { frontend: 8000, api: 8001, gui: 8889 } as const;
/** Velociraptor's Monitoring.bind_port (Prometheus metrics). */
const DEFAULT_MONITORING_PORT = 8003;

/** Something accepts TCP connections on 127.0.0.1:`port` (tried for at most a second). */
export function tcpOpen(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = connect(port, '127.0.0.1');
    s.setTimeout(1000);
    s.once('connect', () => {
      s.destroy();
      done(true);
    });
    s.once('error', () => done(false));
    s.once('timeout', () => {
      s.destroy();
      done(false);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((done, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => done(port));
    });
  });
}

export class LabDeployer implements Deployer<LabSettings> {
  readonly target = 'lab' as const;
  readonly kinds = ['process', 'local-file'] as const;

  constructor(private readonly deps: LabDeployerDeps) {}

  /** Where the lab keeps its configs, logs and pid files. */
  paths(s: { dir: string }) {
    return {
      dir: s.dir,
      serverConfig: join(s.dir, 'server.config.yaml'),
      clientConfig: join(s.dir, 'client.config.yaml'),
      writeback: join(s.dir, 'client.writeback.yaml'),
      datastore: join(s.dir, 'datastore'),
      serverLog: join(s.dir, 'server.log'),
      clientLog: join(s.dir, 'client.log'),
      serverPid: join(s.dir, 'server.pid'),
      clientPid: join(s.dir, 'client.pid'),
    };
  }

  private resources(plan: {
    name: string;
    deploymentId: string;
    settings: LabSettings;
  }): Record<StepId, ResourceRef[]> {
    const p = this.paths(plan.settings);
    const file = (id: string, title: string, type: 'file' | 'dir' = 'file'): ResourceRef => ({
      kind: 'local-file',
      id,
      scope: 'this machine',
      title,
      facts: { type },
    });
    const secrets = identitySecrets(plan.deploymentId);
    return {
      binary: [],
      identity: [secrets.ca, secrets.serverConfig, secrets.apiIdentity, secrets.adminPassword],
      files: [
        file(p.dir, 'lab folder (0700)', 'dir'),
        file(p.serverConfig, 'server config (0600; no CA key)'),
        file(p.clientConfig, 'client config'),
      ],
      register: [],
      // A process is named by its pid file, written the moment it starts: a crash before the journal
      // learns the pid still leaves a way to find it.
      server: [
        { kind: 'process', id: p.serverPid, scope: 'this machine', title: 'Velociraptor server (frontend)' },
      ],
      client: plan.settings.client
        ? [
            {
              kind: 'process',
              id: p.clientPid,
              scope: 'this machine',
              title: 'Velociraptor client of this machine',
            },
          ]
        : [],
      'verify-api': [],
      'verify-gui': [],
      'verify-client': [],
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

  private stepIds(s: LabSettings): StepId[] {
    return (Object.keys(STEP_TITLES) as StepId[]).filter(
      (id) => s.client || (id !== 'client' && id !== 'verify-client'),
    );
  }

  async plan(
    request: DeployRequest<LabSettingsInput>,
    ctx: PlanContext,
  ): Promise<DeploymentPlan<LabSettings>> {
    const settings = parseSettings(LabSettings, request.settings, 'lab');
    checkUserNames(settings);
    const warnings: string[] = [];
    if (settings.binary.kind === 'file') {
      const bin = await acceptFileBinary(settings.binary, this.deps.trustedKey, hostPlatform());
      if (bin.warning) warnings.push(bin.warning);
    }
    const ports = { ...settings.ports } as Partial<Record<keyof typeof DEFAULT_PORTS, number>>;
    for (const k of Object.keys(DEFAULT_PORTS) as Array<keyof typeof DEFAULT_PORTS>) {
      if (ports[k] !== undefined) continue;
      const wanted = DEFAULT_PORTS[k];
      ports[k] = (await portFree('127.0.0.1', wanted)) ? wanted : await freePort();
    }
    const monitoringPort =
      settings.monitoringPort ??
      ((await portFree('127.0.0.1', DEFAULT_MONITORING_PORT)) ? DEFAULT_MONITORING_PORT : await freePort());
    const s: LabSettings = {
      ...settings,
      monitoringPort,
      ports: ports as LabSettings['ports'],
      dir: join(this.deps.labsDir, ctx.deploymentId),
    };
    warnings.push(
      `The lab server's config (with its Frontend key, not the CA key) stays in ${s.dir} (mode 0700) while the lab exists; removing the lab deletes it.`,
    );
    const resources = this.resources({ name: request.name, deploymentId: ctx.deploymentId, settings: s });
    return {
      deploymentId: ctx.deploymentId,
      name: request.name,
      target: 'lab',
      profile: ctx.profile,
      settings: s,
      steps: this.stepIds(s).map((id) => ({ id, title: STEP_TITLES[id], resources: resources[id] })),
      warnings,
      createdAt: ctx.now.toISOString(),
      autoDestroyAt: autoDestroyAt(ctx),
    };
  }

  async preflight(plan: DeploymentPlan<LabSettings>, _ctx: PreflightContext): Promise<PreflightCheck[]> {
    const s = PlannedLabSettings.parse(plan.settings);
    const checks: PreflightCheck[] = [];
    const taken: string[] = [];
    for (const [k, port] of Object.entries(s.ports))
      if (!(await portFree('127.0.0.1', port))) taken.push(`${port} (${k})`);
    checks.push({
      id: 'ports',
      title: 'Ports free on 127.0.0.1',
      status: taken.length ? 'failed' : 'ok',
      message: taken.length
        ? `In use: ${taken.join(', ')}. Stop what uses them, or plan again to get free ports.`
        : `${s.ports.frontend}, ${s.ports.api} and ${s.ports.gui}, on 127.0.0.1 only.`,
    });
    if (new Set(Object.values(s.ports)).size !== 3)
      checks.push({
        id: 'ports-distinct',
        title: 'Distinct ports',
        status: 'failed',
        message: 'Three different ports are needed.',
      });
    let platform = '';
    try {
      const p = hostPlatform();
      platform = `${p.os}-${p.arch}`;
      checks.push({ id: 'platform', title: 'This machine', status: 'ok', message: platform });
    } catch (e) {
      checks.push({ id: 'platform', title: 'This machine', status: 'failed', message: messageOf(e) });
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

  steps(planIn: DeploymentPlan<LabSettings>): StepDefinition[] {
    const plan = { ...planIn, settings: PlannedLabSettings.parse(planIn.settings) };
    const run: Record<StepId, (ctx: StepContext) => Promise<void>> = {
      binary: (ctx) => binaryStep(ctx, plan.settings.binary, hostPlatform(), this.deps),
      identity: (ctx) =>
        mintIdentities(ctx, {
          frontendHostname: 'localhost',
          ports: plan.settings.ports,
          frontendBindAddress: '127.0.0.1',
          ...(plan.settings.monitoringPort !== undefined
            ? { monitoringPort: plan.settings.monitoringPort }
            : {}),
          placement: 'host',
          datastoreDir: this.paths(plan.settings).datastore,
          adminUser: plan.settings.adminUser,
          apiUser: plan.settings.apiUser,
          certificates: plan.profile.certificates,
          logRetentionDays: plan.profile.logRetentionDays,
          ...(typeof ctx.outputs.binaryVersion === 'string' ? { version: ctx.outputs.binaryVersion } : {}),
        }),
      files: (ctx) => this.files(plan, ctx),
      register: (ctx) => this.register(plan, ctx),
      server: (ctx) => this.server(plan, ctx),
      client: (ctx) => this.client(plan, ctx),
      'verify-api': (ctx) => this.verifyApi(plan, ctx),
      'verify-gui': (ctx) => this.verifyGui(plan, ctx),
      'verify-client': (ctx) => this.verifyClient(plan, ctx),
      connect: (ctx) => this.connect(plan, ctx),
    };
    return this.stepIds(plan.settings).map((id) => ({
      id,
      title: STEP_TITLES[id],
      phase: VERIFY.includes(id) ? ('verify' as const) : ('apply' as const),
      run: run[id],
    }));
  }

  private async files(plan: DeploymentPlan<LabSettings>, ctx: StepContext): Promise<void> {
    const p = this.paths(plan.settings);
    const [dirRef, serverRef, clientRef] = this.resources(plan).files as [
      ResourceRef,
      ResourceRef,
      ResourceRef,
    ];
    const serverYaml = await loadServerConfig(ctx.secrets, plan.deploymentId);
    const client = parse(writeClientConfig(parse(serverYaml) as Record<string, unknown>)) as {
      Client: Record<string, unknown>;
    };
    // This machine's client keeps its identity in the lab folder, not in /etc or Program Files.
    client.Client.writeback_linux = p.writeback;
    client.Client.writeback_darwin = p.writeback;
    client.Client.writeback_windows = p.writeback;
    await ctx.create(dirRef, () => mkdir(p.dir, { recursive: true, mode: 0o700 }));
    await ctx.create(serverRef, () => writeFile(p.serverConfig, serverYaml, { mode: 0o600 }));
    await ctx.create(clientRef, () =>
      writeFile(p.clientConfig, stringify(client, { lineWidth: 0 }), { mode: 0o600 }),
    );
    await mkdir(p.datastore, { recursive: true, mode: 0o700 });
    await ctx.setOutput('labDir', p.dir);
  }

  private async register(plan: DeploymentPlan<LabSettings>, ctx: StepContext): Promise<void> {
    const p = this.paths(plan.settings);
    const binary = String(ctx.outputs.binaryPath);
    const [cmd, ...args] = registerApiUserArgv(p.serverConfig, plan.settings.apiUser, binary);
    try {
      await promisify(execFile)(cmd!, args, { cwd: p.dir, timeout: 120_000, windowsHide: true });
    } catch (e) {
      const x = e as { stdout?: string; stderr?: string };
      throw new AppError(
        'DEPLOY_FAILED',
        `Registering the API identity failed: ${`${x.stdout ?? ''}\n${x.stderr ?? ''}`.trim().slice(-2000) || messageOf(e)}`,
        { cause: e },
      );
    }
    ctx.log(`API identity ${plan.settings.apiUser} registered with roles api, investigator`);
  }

  private async waitForPorts(
    plan: DeploymentPlan<LabSettings>,
    ctx: StepContext,
    pid: number,
    log: string,
  ): Promise<void> {
    const t0 = Date.now();
    for (;;) {
      if (ctx.signal.aborted) throw new AppError('CANCELLED', 'The deployment was cancelled.');
      if (!alive(pid))
        throw new AppError('DEPLOY_FAILED', `The lab server stopped instead of starting; its log is ${log}.`);
      const open = await Promise.all(Object.values(plan.settings.ports).map((port) => tcpOpen(port)));
      if (open.every(Boolean)) return;
      if (Date.now() - t0 > plan.settings.startTimeoutMs)
        throw new AppError(
          'TIMEOUT',
          `The lab server did not listen within ${Math.round(plan.settings.startTimeoutMs / 1000)} s; its log is ${log}.`,
        );
      ctx.progress({ message: `Waiting for the server (${Math.round((Date.now() - t0) / 1000)} s)` });
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private async server(plan: DeploymentPlan<LabSettings>, ctx: StepContext): Promise<void> {
    const p = this.paths(plan.settings);
    const binary = String(ctx.outputs.binaryPath);
    const started = await ctx.create(
      this.resources(plan).server[0]!,
      () =>
        startDetached(
          [binary, '--config', p.serverConfig, 'frontend', '-v'],
          p.serverLog,
          p.dir,
          p.serverPid,
        ),
      (s) => ({ pid: s.pid, mark: s.mark }),
    );
    await this.waitForPorts(plan, ctx, started.pid, p.serverLog);
    await ctx.setOutput('apiEndpoint', `127.0.0.1:${plan.settings.ports.api}`);
    await ctx.setOutput('guiUrl', `https://127.0.0.1:${plan.settings.ports.gui}/`);
    await ctx.setOutput('frontendUrl', `https://localhost:${plan.settings.ports.frontend}/`);
    ctx.log(`The lab server runs (pid ${started.pid})`);
  }

  private async client(plan: DeploymentPlan<LabSettings>, ctx: StepContext): Promise<void> {
    const p = this.paths(plan.settings);
    const binary = String(ctx.outputs.binaryPath);
    const started = await ctx.create(
      this.resources(plan).client[0]!,
      () =>
        startDetached([binary, '--config', p.clientConfig, 'client', '-v'], p.clientLog, p.dir, p.clientPid),
      (s) => ({ pid: s.pid, mark: s.mark }),
    );
    ctx.log(`The lab client runs (pid ${started.pid})`);
  }

  private apiYaml(plan: DeploymentPlan<LabSettings>, ctx: StepContext): Promise<string> {
    return apiClientConfig(
      ctx.secrets,
      plan.deploymentId,
      plan.settings.apiUser,
      String(ctx.outputs.apiEndpoint),
    );
  }

  private async verifyApi(plan: DeploymentPlan<LabSettings>, ctx: StepContext): Promise<void> {
    const user = await checkApi(ctx, await this.apiYaml(plan, ctx), plan.settings.apiUser);
    ctx.log(`The API answered over mTLS as ${user}`);
  }

  private async verifyGui(plan: DeploymentPlan<LabSettings>, ctx: StepContext): Promise<void> {
    await checkGui(ctx, plan.deploymentId, plan.settings.adminUser, (check) =>
      check(String(ctx.outputs.guiUrl)),
    );
    ctx.log(`The GUI accepted ${plan.settings.adminUser}'s password and refused a wrong one`);
  }

  /** The client shows up in clients() through the API (the enrolment the responder would see). */
  private async verifyClient(plan: DeploymentPlan<LabSettings>, ctx: StepContext): Promise<void> {
    // A registry of its own: the check's channel is closed after it, whatever the app holds.
    const registry = new ConnectionRegistry();
    registry.add('lab-check', await this.apiYaml(plan, ctx));
    try {
      const conn = registry.connection('lab-check');
      const { build, vql } = vqlBuilder;
      const t0 = Date.now();
      for (;;) {
        const rows = (
          await conn.queryRows(build(vql`SELECT client_id, os_info.hostname AS Hostname FROM clients()`), {
            idempotent: true,
          })
        ).rows;
        const first = rows[0] as { client_id?: string; Hostname?: string } | undefined;
        if (first?.client_id) {
          await ctx.setOutput('labClientId', first.client_id);
          ctx.log(`Client ${first.client_id} (${first.Hostname ?? '?'}) enrolled`);
          return;
        }
        if (Date.now() - t0 > plan.settings.startTimeoutMs)
          throw new AppError(
            'DEPLOY_VERIFY_FAILED',
            `No client enrolled within ${Math.round(plan.settings.startTimeoutMs / 1000)} s; the client's log is ${this.paths(plan.settings).clientLog}.`,
          );
        ctx.progress({
          message: `Waiting for the client to enrol (${Math.round((Date.now() - t0) / 1000)} s)`,
        });
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      registry.remove('lab-check');
    }
  }

  private async connect(plan: DeploymentPlan<LabSettings>, ctx: StepContext): Promise<void> {
    const ref = this.resources(plan).connect[0]!;
    await connectStep(ctx, ref, this.deps.connections, plan.name, await this.apiYaml(plan, ctx));
  }

  async remove(ref: ResourceRef, ctx: RemoveContext): Promise<void> {
    if (ref.kind === 'process') {
      const known = Number(ref.facts?.pid)
        ? { pid: Number(ref.facts?.pid), mark: String(ref.facts?.mark ?? '') }
        : await readPidFile(ref.id);
      if (!known) {
        // Journaled as intended only and no pid file: the process never started.
        ctx.log(`${ref.title}: it never started`);
        return;
      }
      const outcome = await stopProcess(known);
      ctx.log(`${ref.title} (pid ${known.pid}): ${outcome}`);
      return;
    }
    if (ref.kind === 'local-file') {
      const labs = resolve(this.deps.labsDir);
      const path = resolve(ref.id);
      if (!path.startsWith(`${labs}${sep}`))
        throw new AppError('INVALID_ARGUMENT', `Refusing to remove ${ref.id}: it is not inside ${labs}.`);
      await rm(path, { recursive: ref.facts?.type === 'dir', force: true });
      ctx.log(`Removed ${ref.id}`);
      return;
    }
    throw new AppError('INTERNAL', `The lab does not make ${ref.kind} resources.`);
  }
}
