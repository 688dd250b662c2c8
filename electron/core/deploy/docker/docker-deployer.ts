/**
 * The Docker target: a Velociraptor server in a container on a local or remote Docker engine.
 *
 * Steps (each journaled by the runner; every Docker object labelled with the deployment):
 *   binary    the verified release (linux-amd64-musl) from the cache, or the responder's own file
 *   identity  CA, certificates, API identity, admin password → keychain (server-identity.ts)
 *   image     a minimal image imported from a root filesystem with that binary (no registry), or
 *             upstream's image pinned to a release tag or digest
 *   volumes   config (read-only in the server) and data
 *   register  a one-shot container without network: the config goes into the config volume over the
 *             Docker API (PUT archive — never an environment variable, `docker inspect` shows those),
 *             then `velociraptor --config F user add NAME RANDOM --role api,investigator`; removed after
 *   container the server container: limits, Init, health check, ports published as chosen
 *   start     start and wait until Docker reports it healthy
 *   network, minions, verify-frontends   (enterprise: Velociraptor's multi-frontend, frontends.ts) a
 *             master and N minions from the same image and config, all on the one data volume (the
 *             shared file store); each minion its own container `frontend --minion --node
 *             <hostname>-<port>` serving agents on its port; on a bridge they share a network of the
 *             deployment so minions reach the master's API by its container name; agents' server_urls
 *             list every frontend; the master's API must report every minion
 *   verify-api, verify-gui, connect   (verify phase) mTLS query as the registered identity, GUI login
 *             with the admin password, then the server joins the app's connections
 */
import { z } from 'zod';
import type Docker from 'dockerode';
import { MAX_MINIONS, type PreflightCheck, type ResourceRef } from '../../../../shared/deploy';
import { AppError } from '../../../../shared/errors';
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
import { CONTAINER_PLATFORM } from '../releases/assets';
import type { ReleaseCache } from '../releases/cache';
import type { TrustedKey } from '../releases/signature';
import {
  apiClientConfig,
  checkUserNames,
  identitySecrets,
  loadServerConfig,
  mintIdentities,
  registerApiUserArgv,
  type IdentitySettings,
} from '../server-identity';
import { addMinion, MINION_FIRST_TASK_NOTE, nodeName, type FrontendNode } from '../frontends';
import { verifyFrontends } from '../verify-frontends';
import { dockerError, engineKey, followProgress, isNotFound, type DockerEngines } from './engine';
import { expiryContainerName, expiryContainerSpec } from './expiry';
import { bindChecks, dockerPreflight, isLoopback } from './preflight';
import {
  checkOfficialReference,
  CONFIG_DIR,
  CONFIG_PATH,
  DATA_DIR,
  DEFAULT_HEALTH,
  imageChanges,
  initContainerSpec,
  labelsFor,
  LOCAL_BINARY_PATH,
  minionContainerName,
  minionContainerSpec,
  type NodeContainerInput,
  namesFor,
  OFFICIAL_BINARY_PATH,
  officialVersion,
  rootfsEntries,
  SERVER_UID,
  serverContainerSpec,
  type HealthSettings,
  type PortChoice,
} from './spec';
import { tarBuffer, tarSize, tarStream } from './tar';

const Port = z.number().int().min(1).max(65535);
const PortChoiceSchema = z.object({
  bindAddress: z.string().min(1),
  port: Port.nullable(),
  expose: z.boolean().optional(),
});

export const DockerSettings = z.object({
  engine: z.union([
    z.object({ kind: z.literal('socket'), path: z.string().min(1) }),
    z.object({
      kind: z.literal('tcp'),
      host: z.string().min(1),
      port: Port,
      tls: z.object({ caPath: z.string(), certPath: z.string(), keyPath: z.string() }).optional(),
    }),
  ]),
  image: z.union([
    z.object({
      kind: z.literal('local'),
      binary: z.union([
        z.object({ kind: z.literal('release'), tag: z.string().min(1) }),
        z.object({ kind: z.literal('file'), path: z.string().min(1), signaturePath: z.string().optional() }),
      ]),
      /** Extra files for the image (tools for isolated networks; the test suite's simulator runtime). */
      extraFiles: z
        .array(z.object({ path: z.string().regex(/^\/[^\0]+$/), source: z.string(), mode: z.number().int() }))
        .optional(),
    }),
    z.object({ kind: z.literal('official'), reference: z.string() }),
  ]),
  /** 'host' for engines without a usable bridge: the server binds on the engine's host directly. */
  network: z.enum(['bridge', 'host']).default('bridge'),
  frontend: z.object({ hostname: z.string().min(1).max(253), bindAddress: z.string().min(1), port: Port }),
  /**
   * Enterprise: the minions of a multi-frontend deployment, each serving agents on its own port
   * (published where it binds; agents dial frontend.hostname on it). Scale-out adds one.
   */
  minions: z
    .array(z.object({ bindAddress: z.string().min(1), port: Port }))
    .max(MAX_MINIONS)
    .default([]),
  gui: PortChoiceSchema,
  api: PortChoiceSchema,
  /** Ports inside the container with bridge networking (Velociraptor's defaults). */
  containerPorts: z
    .object({ frontend: Port, api: Port, gui: Port })
    .default({ frontend: 8000, api: 8001, gui: 8889 }),
  adminUser: z.string().default('admin'),
  apiUser: z.string().default('megaraptor-app'),
  health: z
    .object({
      intervalMs: z.number().int().min(500),
      timeoutMs: z.number().int().min(500),
      retries: z.number().int().min(1),
      startPeriodMs: z.number().int().min(0),
    })
    .partial()
    .optional(),
  /** How long the server may take to become healthy; default 180 s. */
  startTimeoutMs: z.number().int().min(1000).default(180_000),
  /**
   * The engine's socket as its own host sees it (bind-mounted into the rapid profile's timer
   * container). Default: the socket path for a local socket engine, /var/run/docker.sock otherwise.
   */
  engineSocketOnHost: z
    .string()
    .regex(/^\/[^\0]+$/)
    .optional(),
});
export type DockerSettings = z.output<typeof DockerSettings>;
export type DockerSettingsInput = z.input<typeof DockerSettings>;

export interface DockerDeployerDeps {
  engines: DockerEngines;
  releases: ReleaseCache;
  connections: ConnectionSink;
  /** The key release signatures must verify against (Velocidex's by default; tests use their own). */
  trustedKey?: TrustedKey;
}

const STEP_TITLES = {
  binary: 'Verified Velociraptor binary',
  identity: 'Certificates, API identity and admin password',
  image: 'Server image',
  volumes: 'Config and data volumes',
  register: 'Register the API identity',
  network: 'Network of the frontends',
  container: 'Server container',
  minions: 'Minion containers on the shared data volume',
  start: 'Start and wait for health',
  expiry: 'Self-destruction timer on the engine',
  'verify-api': 'API answers as the registered identity',
  'verify-frontends': 'Every minion reports to the master',
  'verify-gui': 'GUI accepts the admin password',
  connect: "Add to the app's connections",
} as const;
type StepId = keyof typeof STEP_TITLES;

/** A plan of this target with its settings checked (a plan read back from the runner or the journal). */
export function dockerPlan(plan: DeploymentPlan): DeploymentPlan<DockerSettings> {
  if (plan.target !== 'docker')
    throw new AppError('INVALID_ARGUMENT', `Deployment ${plan.name} is not a Docker deployment.`);
  return { ...plan, settings: DockerSettings.parse(plan.settings) };
}

export class DockerDeployer implements Deployer<DockerSettings> {
  readonly target = 'docker' as const;
  readonly kinds = ['container', 'volume', 'image', 'network'] as const;

  constructor(private readonly deps: DockerDeployerDeps) {}

  private official(s: DockerSettings): boolean {
    return s.image.kind === 'official';
  }

  /** Where the server listens in its container (with host networking: on the engine's host). */
  private serverPorts(s: DockerSettings): { frontend: number; api: number; gui: number } {
    return s.network === 'host'
      ? { frontend: s.frontend.port, api: s.api.port ?? 0, gui: s.gui.port ?? 0 }
      : s.containerPorts;
  }

  private resources(plan: {
    deploymentId: string;
    settings: DockerSettings;
    name: string;
  }): Record<StepId, ResourceRef[]> {
    const s = plan.settings;
    const names = namesFor(plan.deploymentId);
    const scope = engineKey(s.engine);
    const secrets = identitySecrets(plan.deploymentId);
    const imageRef: ResourceRef =
      s.image.kind === 'official'
        ? {
            kind: 'image',
            id: s.image.reference,
            scope,
            title: "upstream's server image (pulled if missing)",
          }
        : { kind: 'image', id: names.image, scope, title: 'server image built from the verified binary' };
    return {
      binary: [],
      identity: [secrets.ca, secrets.serverConfig, secrets.apiIdentity, secrets.adminPassword],
      image: [imageRef],
      volumes: [
        { kind: 'volume', id: names.configVolume, scope, title: 'config volume' },
        { kind: 'volume', id: names.dataVolume, scope, title: 'data volume (datastore and logs)' },
      ],
      register: [
        {
          kind: 'container',
          id: names.init,
          scope,
          title: 'one-shot registration container (removed after use)',
        },
      ],
      network: [{ kind: 'network', id: names.network, scope, title: 'network of master and minions' }],
      container: [{ kind: 'container', id: names.server, scope, title: 'server container' }],
      minions: s.minions.map((m) => this.minionRef(plan, m)),
      start: [],
      expiry: [
        {
          kind: 'container',
          id: expiryContainerName(plan.deploymentId),
          scope,
          title: 'self-destruction timer container (removes the server at its time)',
        },
      ],
      'verify-api': [],
      'verify-frontends': [],
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

  /** A minion's container as the journal lists it. */
  minionRef(
    plan: { deploymentId: string; settings: DockerSettings },
    m: { bindAddress: string; port: number },
  ): ResourceRef {
    return {
      kind: 'container',
      id: minionContainerName(plan.deploymentId, m.port),
      scope: engineKey(plan.settings.engine),
      title: `minion ${this.minionNode(plan.settings, m).hostname}:${m.port} (frontend --minion)`,
    };
  }

  /** A minion as Velociraptor's config names it: agents dial the frontend's host name on its port. */
  minionNode(s: DockerSettings, m: { bindAddress: string; port: number }): FrontendNode {
    return {
      hostname: s.frontend.hostname,
      port: m.port,
      bindAddress: s.network === 'host' ? m.bindAddress : '0.0.0.0',
    };
  }

  /** Refuses a minion port another frontend (or, with host networking, the API or GUI) already uses. */
  checkMinions(s: DockerSettings, profile: string): void {
    if (!s.minions.length) return;
    if (profile !== 'enterprise')
      throw new AppError(
        'INVALID_ARGUMENT',
        'Minions (multi-frontend) are for the enterprise profile: choose it, or deploy one server.',
      );
    const taken = [s.frontend.port, ...(s.network === 'host' ? [s.api.port, s.gui.port] : [])];
    for (const m of s.minions) {
      if (taken.includes(m.port))
        throw new AppError(
          'INVALID_ARGUMENT',
          `Port ${m.port} is used twice: every minion needs a port of its own, apart from the frontend${s.network === 'host' ? ', API and GUI' : ''}.`,
        );
      taken.push(m.port);
    }
  }

  async plan(
    request: DeployRequest<DockerSettingsInput>,
    ctx: PlanContext,
  ): Promise<DeploymentPlan<DockerSettings>> {
    const s = parseSettings(DockerSettings, request.settings, 'Docker');
    checkUserNames(s);
    this.checkMinions(s, ctx.profile.name);
    const warnings: string[] = [];
    if (s.network === 'host' && (s.api.port === null || s.gui.port === null))
      throw new AppError(
        'INVALID_ARGUMENT',
        'With host networking the API and GUI ports must be chosen (nothing is published).',
      );
    if (s.image.kind === 'official') {
      try {
        checkOfficialReference(s.image.reference);
      } catch (e) {
        throw new AppError('INVALID_ARGUMENT', (e as Error).message);
      }
      warnings.push(
        "Upstream's server image is not signed; only the local image is built from a signature-verified binary.",
      );
    } else if (s.image.binary.kind === 'file') {
      const bin = await acceptFileBinary(s.image.binary, this.deps.trustedKey, CONTAINER_PLATFORM);
      if (bin.warning) warnings.push(bin.warning);
    }
    for (const c of bindChecks({ ports: { frontend: s.frontend, api: s.api, gui: s.gui } }))
      if (c.status !== 'ok') warnings.push(`${c.title}: ${c.message}`);
    for (const m of s.minions)
      for (const c of bindChecks({ ports: { frontend: m, api: s.api, gui: s.gui } }))
        if (c.id === 'bind-frontend' && c.status !== 'ok')
          warnings.push(`Minion on port ${m.port}: ${c.message}`);
    if (ctx.profile.autoDestroyHours !== null)
      warnings.push(
        `Self-destruction: a timer container on the engine gets the engine's socket (${this.engineSocket(s)}) to remove the server and its volumes at the destruction time, whether or not this machine is on. It removes nothing else; the image (Velociraptor's public binary) is removed by the app afterwards.`,
      );
    const resources = this.resources({ deploymentId: ctx.deploymentId, settings: s, name: request.name });
    return {
      deploymentId: ctx.deploymentId,
      name: request.name,
      target: 'docker',
      profile: ctx.profile,
      settings: s,
      steps: this.stepIds(s, ctx.profile.autoDestroyHours !== null).map((id) => ({
        id,
        title: STEP_TITLES[id],
        resources: resources[id],
      })),
      warnings,
      createdAt: ctx.now.toISOString(),
      autoDestroyAt: autoDestroyAt(ctx),
    };
  }

  private stepIds(s: DockerSettings, rapid: boolean): StepId[] {
    const all = Object.keys(STEP_TITLES) as StepId[];
    const multi = s.minions.length > 0;
    return all.filter(
      (x) =>
        !(x === 'binary' && this.official(s)) &&
        !(x === 'expiry' && !rapid) &&
        !((x === 'minions' || x === 'verify-frontends') && !multi) &&
        !(x === 'network' && !(multi && s.network === 'bridge')),
    );
  }

  /** The deployment's own network when minions share a bridge with the master; else none. */
  private networkName(plan: { deploymentId: string; settings: DockerSettings }): string | undefined {
    const s = plan.settings;
    return s.minions.length && s.network === 'bridge' ? namesFor(plan.deploymentId).network : undefined;
  }

  private ports(s: DockerSettings): Record<'frontend' | 'api' | 'gui', PortChoice> {
    return {
      frontend: { bindAddress: s.frontend.bindAddress, port: s.frontend.port },
      api: s.api,
      gui: s.gui,
    };
  }

  async preflight(plan: DeploymentPlan<DockerSettings>, ctx: PreflightContext): Promise<PreflightCheck[]> {
    const s = plan.settings;
    ctx.progress({ message: `Checking the Docker engine ${engineKey(s.engine)}` });
    let docker: Docker;
    try {
      docker = await this.deps.engines.get(s.engine);
    } catch (e) {
      return [
        { id: 'engine', title: 'Docker engine reachable', status: 'failed', message: (e as Error).message },
      ];
    }
    return dockerPreflight(docker, {
      engine: s.engine,
      profile: plan.profile,
      deploymentId: plan.deploymentId,
      network: s.network,
      ports: this.ports(s),
      connectionName: plan.name,
      connectionExists: (n) => this.deps.connections.has(n),
    });
  }

  steps(plan: DeploymentPlan<DockerSettings>): StepDefinition[] {
    const run: Record<StepId, (ctx: StepContext) => Promise<void>> = {
      binary: (ctx) => this.binary(plan, ctx),
      identity: (ctx) => mintIdentities(ctx, this.identitySettings(plan, ctx)),
      image: (ctx) => this.image(plan, ctx),
      volumes: (ctx) => this.volumes(plan, ctx),
      register: (ctx) => this.register(plan, ctx),
      network: (ctx) => this.network(plan, ctx),
      container: (ctx) => this.container(plan, ctx),
      minions: async (ctx) => {
        for (const m of plan.settings.minions) await this.createMinion(plan, m, ctx);
      },
      start: (ctx) => this.start(plan, ctx),
      expiry: (ctx) => this.expiry(plan, ctx),
      'verify-api': (ctx) => this.verifyApi(plan, ctx),
      'verify-frontends': (ctx) => this.verifyMinions(plan, ctx),
      'verify-gui': (ctx) => this.verifyGui(plan, ctx),
      connect: (ctx) => this.connect(plan, ctx),
    };
    return this.stepIds(plan.settings, plan.profile.autoDestroyHours !== null).map((id) => ({
      id,
      title: STEP_TITLES[id],
      phase:
        id === 'verify-api' || id === 'verify-frontends' || id === 'verify-gui' || id === 'connect'
          ? ('verify' as const)
          : ('apply' as const),
      run: run[id],
    }));
  }

  private docker(s: DockerSettings): Promise<Docker> {
    return this.deps.engines.get(s.engine);
  }

  private identitySettings(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): IdentitySettings {
    const s = plan.settings;
    const host = s.network === 'host';
    // Upstream's image carries its binary: the pinned tag is its version.
    const version =
      ctx.outputs.binaryVersion ??
      (s.image.kind === 'official' ? officialVersion(s.image.reference) : undefined);
    return {
      frontendHostname: s.frontend.hostname,
      ports: this.serverPorts(s),
      frontendPublicPort: s.frontend.port,
      // With host networking the server binds where the responder chose; in a container, everywhere.
      frontendBindAddress: host ? s.frontend.bindAddress : '0.0.0.0',
      placement: host ? 'host' : 'container',
      ...(host && s.api.expose ? { exposeApi: true } : {}),
      ...(host && s.gui.expose ? { exposeGui: true } : {}),
      datastoreDir: DATA_DIR,
      adminUser: s.adminUser,
      apiUser: s.apiUser,
      certificates: plan.profile.certificates,
      logRetentionDays: plan.profile.logRetentionDays,
      ...(typeof version === 'string' && version ? { version } : {}),
      ...(s.minions.length
        ? {
            frontends: {
              minions: s.minions.map((m) => this.minionNode(s, m)),
              // On the deployment's network the master is reached by its container name; with host
              // networking on the address its API binds.
              apiHostname: host ? dialable(s.api.bindAddress) : namesFor(plan.deploymentId).server,
            },
          }
        : {}),
    };
  }

  private async binary(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const image = plan.settings.image;
    if (image.kind === 'local') await binaryStep(ctx, image.binary, CONTAINER_PLATFORM, this.deps);
  }

  private imageRef(plan: DeploymentPlan<DockerSettings>): ResourceRef {
    return this.resources(plan).image[0]!;
  }

  private async image(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const docker = await this.docker(s);
    const ref = this.imageRef(plan);
    if (s.image.kind === 'official') {
      const reference = s.image.reference;
      let existing: Docker.ImageInspectInfo | undefined;
      try {
        existing = await docker.getImage(reference).inspect();
      } catch (e) {
        if (!isNotFound(e)) throw dockerError(e, `inspecting ${reference}`);
      }
      if (existing) {
        // Not ours: never removed with the deployment.
        checkOfficialPlatform(reference, existing);
        await ctx.setOutput('imageId', existing.Id);
        ctx.log(`Using ${reference} already on the engine (${existing.Id})`);
        return;
      }
      const id = await ctx.create(
        ref,
        async () => {
          await pull(docker, reference, ctx);
          return (await docker.getImage(reference).inspect()).Id;
        },
        (imageId) => ({ imageId }),
      );
      // Journaled before the check: a refused pull is removed by the rollback.
      checkOfficialPlatform(reference, await docker.getImage(id).inspect());
      await ctx.setOutput('imageId', id);
      return;
    }
    const binary = String(ctx.outputs.binaryPath ?? '');
    if (!binary) throw new AppError('INTERNAL', 'The binary step left no verified binary.');
    const entries = rootfsEntries(binary, s.image.extraFiles ?? []);
    const total = await tarSize(entries);
    const [repo, tag] = namesFor(plan.deploymentId).image.split(':') as [string, string];
    const id = await ctx.create(
      ref,
      async () => {
        const stream = tarStream(entries, (n) =>
          ctx.progress({ done: n, total, fraction: n / total, message: 'Importing the root filesystem' }),
        );
        try {
          const res = await docker.importImage(stream, {
            repo,
            tag,
            changes: imageChanges(plan.deploymentId, plan.profile.name),
          } as unknown as Record<string, unknown>);
          await followProgress(docker, res, 'importing the server image');
        } catch (e) {
          throw dockerError(e, 'importing the server image');
        }
        return (await docker.getImage(namesFor(plan.deploymentId).image).inspect()).Id;
      },
      (imageId) => ({ imageId }),
    );
    await ctx.setOutput('imageId', id);
  }

  private async volumes(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const docker = await this.docker(plan.settings);
    const [config, data] = this.resources(plan).volumes as [ResourceRef, ResourceRef];
    for (const [ref, role] of [
      [config, 'config'],
      [data, 'data'],
    ] as const) {
      await ctx.create(ref, async () => {
        try {
          await docker.createVolume({
            Name: ref.id,
            Labels: labelsFor(plan.deploymentId, role, { profile: plan.profile.name }),
          });
        } catch (e) {
          throw dockerError(e, `creating the volume ${ref.id}`);
        }
      });
    }
  }

  /** Who runs the server in its image, and where its binary is (the one-shot containers use the same). */
  runAs(s: DockerSettings): { user: string; uid: number; binary: string; image: string } {
    return s.image.kind === 'official'
      ? { user: '0:0', uid: 0, binary: OFFICIAL_BINARY_PATH, image: s.image.reference }
      : { user: `${SERVER_UID}:${SERVER_UID}`, uid: SERVER_UID, binary: LOCAL_BINARY_PATH, image: '' };
  }

  private async register(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const ref = this.resources(plan).register[0]!;
    const container = await this.configContainer(plan, ctx, ref, {
      argv: registerApiUserArgv(CONFIG_PATH, s.apiUser, this.runAs(s).binary),
      what: 'registration container',
      yaml: await loadServerConfig(ctx.secrets, plan.deploymentId),
    });
    ctx.log(`Server config delivered to ${CONFIG_PATH} (volume ${namesFor(plan.deploymentId).configVolume})`);
    try {
      await container.start();
      const result = await withTimeout<{ StatusCode: number }>(
        container.wait() as Promise<{ StatusCode: number }>,
        120_000,
        'The registration did not finish in 2 minutes.',
      );
      const output = await containerLogs(container);
      if (result.StatusCode !== 0)
        throw new AppError(
          'DEPLOY_FAILED',
          `Registering the API identity failed (exit ${result.StatusCode}): ${output.slice(-2000) || 'no output'}`,
        );
      ctx.log(`API identity ${s.apiUser} registered with roles api, investigator`);
    } catch (e) {
      throw e instanceof AppError ? e : dockerError(e, 'registering the API identity');
    }
    await ctx.remove(ref);
  }

  /**
   * A one-shot container on the deployment's volumes (journaled as `ref`, never started here) with
   * `yaml` put into the config volume over the Docker API: the config never sits in an environment
   * variable or on this machine's disk.
   */
  async configContainer(
    plan: DeploymentPlan<DockerSettings>,
    ctx: StepContext,
    ref: ResourceRef,
    o: { argv: string[]; what: string; yaml: string },
  ): Promise<Docker.Container> {
    const docker = await this.docker(plan.settings);
    const run = this.runAs(plan.settings);
    const container = await ctx.create(
      ref,
      async () => {
        try {
          return await docker.createContainer(
            initContainerSpec({
              deploymentId: plan.deploymentId,
              image: run.image || namesFor(plan.deploymentId).image,
              user: run.user,
              argv: o.argv,
              limits: plan.profile.limits,
            }),
          );
        } catch (e) {
          throw dockerError(e, `creating the ${o.what}`);
        }
      },
      (c) => ({ containerId: c.id }),
    );
    try {
      const archive = await tarBuffer([
        { path: 'server.config.yaml', type: 'file', mode: 0o600, uid: run.uid, gid: run.uid, data: o.yaml },
      ]);
      await container.putArchive(archive, { path: CONFIG_DIR });
    } catch (e) {
      throw dockerError(e, 'writing the config into its volume');
    }
    return container;
  }

  /** What the server's and every minion's container share: image, user, network, limits, health. */
  private nodeSpec(plan: DeploymentPlan<DockerSettings>): NodeContainerInput {
    const s = plan.settings;
    const run = this.runAs(s);
    const networkName = this.networkName(plan);
    const health: HealthSettings = { ...DEFAULT_HEALTH, ...s.health };
    return {
      deploymentId: plan.deploymentId,
      profile: plan.profile.name,
      destroyAt: plan.autoDestroyAt,
      image: run.image || namesFor(plan.deploymentId).image,
      binary: run.binary,
      user: run.user,
      network: s.network,
      ...(networkName ? { networkName } : {}),
      limits: plan.profile.limits,
      health,
    };
  }

  /** The exact create request of the server container (the review step shows it; tests assert on it). */
  containerSpec(plan: DeploymentPlan<DockerSettings>): Docker.ContainerCreateOptions {
    const s = plan.settings;
    return serverContainerSpec({
      ...this.nodeSpec(plan),
      ports: this.serverPorts(s),
      publish: this.ports(s),
    });
  }

  private async container(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const docker = await this.docker(plan.settings);
    const spec = this.containerSpec(plan);
    await ctx.create(
      this.resources(plan).container[0]!,
      async () => {
        try {
          return (await docker.createContainer(spec)).id;
        } catch (e) {
          throw dockerError(e, 'creating the server container');
        }
      },
      (containerId) => ({ containerId }),
    );
  }

  private async network(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const docker = await this.docker(plan.settings);
    const ref = this.resources(plan).network[0]!;
    await ctx.create(
      ref,
      async () => {
        try {
          return (
            await docker.createNetwork({
              Name: ref.id,
              Driver: 'bridge',
              Labels: labelsFor(plan.deploymentId, 'network', { profile: plan.profile.name }),
            })
          ).id;
        } catch (e) {
          throw dockerError(e, `creating the network ${ref.id}`);
        }
      },
      (networkId) => ({ networkId }),
    );
  }

  /** Creates one minion's container (journaled first); the start step or scale-out starts it. */
  async createMinion(
    plan: DeploymentPlan<DockerSettings>,
    m: { bindAddress: string; port: number },
    ctx: StepContext,
  ): Promise<void> {
    const s = plan.settings;
    const docker = await this.docker(s);
    const spec = minionContainerSpec({
      ...this.nodeSpec(plan),
      node: nodeName(this.minionNode(s, m)),
      port: m.port,
      bindAddress: m.bindAddress,
    });
    await ctx.create(
      this.minionRef(plan, m),
      async () => {
        try {
          return (await docker.createContainer(spec)).id;
        } catch (e) {
          throw dockerError(e, `creating the minion on port ${m.port}`);
        }
      },
      (containerId) => ({ containerId, node: nodeName(this.minionNode(s, m)) }),
    );
  }

  /** Starts a container (running already is fine: a resumed step) and waits for Docker's "healthy". */
  private async startHealthy(
    plan: DeploymentPlan<DockerSettings>,
    name: string,
    what: string,
    ctx: StepContext,
  ): Promise<Docker.ContainerInspectInfo> {
    const s = plan.settings;
    const container = (await this.docker(s)).getContainer(name);
    try {
      await container.start();
    } catch (e) {
      // 304: already running (a resumed step).
      if ((e as { statusCode?: number }).statusCode !== 304) throw dockerError(e, `starting the ${what}`);
    }
    const deadline = Date.now() + s.startTimeoutMs;
    const t0 = Date.now();
    for (;;) {
      if (ctx.signal.aborted) throw new AppError('CANCELLED', 'The deployment was cancelled.');
      const info = await container.inspect();
      const health = info.State.Health?.Status;
      if (!info.State.Running) {
        const logs = await containerLogs(container);
        throw new AppError(
          'DEPLOY_FAILED',
          `The ${what} stopped (exit ${info.State.ExitCode}) instead of starting: ${logs.slice(-2000) || 'no output'}`,
        );
      }
      if (health === 'healthy') {
        ctx.log(`The ${what} is healthy after ${Math.round((Date.now() - t0) / 100) / 10} s`);
        return info;
      }
      if (health === 'unhealthy') {
        const last = info.State.Health?.Log?.at(-1)?.Output ?? '';
        throw new AppError('DEPLOY_FAILED', `The ${what} is unhealthy: ${last.slice(-1000)}`);
      }
      if (Date.now() > deadline)
        throw new AppError(
          'TIMEOUT',
          `The ${what} did not become healthy within ${Math.round(s.startTimeoutMs / 1000)} s.`,
        );
      ctx.progress({
        message: `Waiting for the ${what}'s health check (${Math.round((Date.now() - t0) / 1000)} s)`,
      });
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /** Starts one minion and waits until it is healthy (the start step, scale-out). */
  async startMinion(
    plan: DeploymentPlan<DockerSettings>,
    m: { bindAddress: string; port: number },
    ctx: StepContext,
  ): Promise<void> {
    await this.startHealthy(
      plan,
      minionContainerName(plan.deploymentId, m.port),
      `minion on port ${m.port}`,
      ctx,
    );
  }

  private async start(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const info = await this.startHealthy(plan, namesFor(plan.deploymentId).server, 'server', ctx);
    const published = (inside: number, choice: PortChoice): { host: string; port: number } => {
      if (s.network === 'host') return { host: dialable(choice.bindAddress), port: inside };
      const binding = info.NetworkSettings.Ports?.[`${inside}/tcp`]?.[0];
      const port = Number(binding?.HostPort ?? choice.port ?? 0);
      if (!port) throw new AppError('DEPLOY_FAILED', `Docker published no host port for ${inside}/tcp.`);
      return { host: dialable(choice.bindAddress), port };
    };
    const ports = this.serverPorts(s);
    const api = published(ports.api, s.api);
    const gui = published(ports.gui, s.gui);
    await ctx.setOutput('containerId', info.Id);
    await ctx.setOutput('apiEndpoint', `${bracket(api.host)}:${api.port}`);
    await ctx.setOutput('guiUrl', webUrl(gui.host, gui.port));
    await ctx.setOutput('frontendUrl', serverUrl(s.frontend.hostname, s.frontend.port));
    // Minions after the master: they dial its API at start.
    for (const m of s.minions) await this.startMinion(plan, m, ctx);
    if (s.minions.length)
      await ctx.setOutput('minionNodes', s.minions.map((m) => nodeName(this.minionNode(s, m))).join(','));
  }

  /** The engine's socket on its own host, for the timer container's bind mount. */
  engineSocket(s: DockerSettings): string {
    if (s.engineSocketOnHost) return s.engineSocketOnHost;
    return s.engine.kind === 'socket' && !s.engine.path.startsWith('//./pipe/')
      ? s.engine.path
      : '/var/run/docker.sock';
  }

  /**
   * (Re)creates and starts the self-destruction timer for `at` (the expiry step, and the "extend"
   * operation after removing the old one).
   */
  async startExpiryTimer(plan: DeploymentPlan<DockerSettings>, at: Date, ctx: StepContext): Promise<void> {
    const s = plan.settings;
    const docker = await this.docker(s);
    const run = this.runAs(s);
    const ref = this.resources(plan).expiry[0]!;
    const container = await ctx.create(
      ref,
      async () => {
        try {
          return await docker.createContainer(
            expiryContainerSpec({
              deploymentId: plan.deploymentId,
              image: run.image || namesFor(plan.deploymentId).image,
              binary: run.binary,
              at,
              engineSocket: this.engineSocket(s),
            }),
          );
        } catch (e) {
          throw dockerError(e, 'creating the self-destruction timer');
        }
      },
      (c) => ({ containerId: c.id, destroyAt: at.toISOString() }),
    );
    try {
      await container.start();
    } catch (e) {
      throw dockerError(e, 'starting the self-destruction timer');
    }
    await ctx.setOutput('targetDestroyAt', at.toISOString());
    ctx.log(`The engine removes this deployment by itself at ${at.toISOString()} (${ref.id})`);
  }

  private async expiry(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const hours = plan.profile.autoDestroyHours;
    if (hours === null) return;
    await this.startExpiryTimer(plan, new Date(ctx.now().getTime() + hours * 3_600_000), ctx);
  }

  /** The timer's container (the extend operation replaces it). */
  expiryRef(plan: DeploymentPlan<DockerSettings>): ResourceRef {
    return this.resources(plan).expiry[0]!;
  }

  private async apiYaml(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<string> {
    return apiClientConfig(
      ctx.secrets,
      plan.deploymentId,
      plan.settings.apiUser,
      String(ctx.outputs.apiEndpoint),
    );
  }

  private async verifyApi(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const user = await checkApi(ctx, await this.apiYaml(plan, ctx), plan.settings.apiUser);
    ctx.log(`The API at ${String(ctx.outputs.apiEndpoint)} answered over mTLS as ${user}`);
  }

  /** Every minion (or those named) reports to the master, seen through the master's API. */
  async verifyMinions(
    plan: DeploymentPlan<DockerSettings>,
    ctx: StepContext,
    minions = plan.settings.minions,
  ): Promise<void> {
    const nodes = minions.map((m) => nodeName(this.minionNode(plan.settings, m)));
    const seen = await verifyFrontends(await this.apiYaml(plan, ctx), nodes, {
      timeoutMs: 90_000,
      signal: ctx.signal,
      onNode: (n) => ctx.progress({ message: `${n} reported to the master` }),
    });
    ctx.log(`The master's API reports ${seen.join(', ')} (Server.Internal.FrontendMetrics)`);
    ctx.log(MINION_FIRST_TASK_NOTE);
  }

  /** Scale-out: the config with one more minion (frontends.ts addMinion); the settings with it. */
  withMinion(
    plan: DeploymentPlan<DockerSettings>,
    config: Record<string, unknown>,
    m: { bindAddress: string; port: number },
  ): DockerSettings {
    const s = { ...plan.settings, minions: [...plan.settings.minions, m] };
    this.checkMinions(s, plan.profile.name);
    addMinion(config, this.minionNode(s, m));
    return s;
  }

  private async verifyGui(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const url = String(ctx.outputs.guiUrl);
    await checkGui(ctx, plan.deploymentId, plan.settings.adminUser, (check) => check(url));
    ctx.log(`The GUI at ${url} accepted ${plan.settings.adminUser}'s password and refused a wrong one`);
  }

  private async connect(plan: DeploymentPlan<DockerSettings>, ctx: StepContext): Promise<void> {
    const ref = this.resources(plan).connect[0]!;
    await connectStep(ctx, ref, this.deps.connections, plan.name, await this.apiYaml(plan, ctx));
  }

  async remove(ref: ResourceRef, ctx: RemoveContext): Promise<void> {
    const settings = DockerSettings.parse(ctx.settings);
    const docker = await this.deps.engines.get(settings.engine);
    try {
      if (ref.kind === 'container') {
        const c = docker.getContainer(ref.id);
        await c.stop({ t: 10 }).catch((e: { statusCode?: number }) => {
          // 304 not running, 404 gone: both fine here.
          if (e.statusCode !== 304 && e.statusCode !== 404) throw e;
        });
        await c.remove({ force: true, v: false });
      } else if (ref.kind === 'volume') await docker.getVolume(ref.id).remove();
      else if (ref.kind === 'network') await docker.getNetwork(ref.id).remove();
      else if (ref.kind === 'image') await docker.getImage(ref.id).remove({ noprune: false });
      else throw new AppError('INTERNAL', `The Docker target does not make ${ref.kind} resources.`);
      ctx.log(`Removed ${ref.kind} ${ref.id}`);
    } catch (e) {
      if (isNotFound(e)) {
        ctx.log(`${ref.kind} ${ref.id} was already gone`);
        return;
      }
      throw e instanceof AppError ? e : dockerError(e, `removing the ${ref.kind} ${ref.id}`);
    }
  }
}

/**
 * Upstream builds its image for linux/amd64 only (the musl binary, `docker buildx build` without a
 * platform on an amd64 runner). Another platform under that name (an emulating engine, a re-tagged
 * image) would run a binary the engine cannot execute or one that is not upstream's: refused before
 * any container is made from it.
 */
function checkOfficialPlatform(reference: string, image: Docker.ImageInspectInfo): void {
  if (image.Os === 'linux' && image.Architecture === 'amd64') return;
  throw new AppError(
    'DEPLOY_FAILED',
    `${reference} on the engine is ${image.Os || 'unknown'}/${image.Architecture || 'unknown'}; upstream's server image exists for linux/amd64 only. Remove it from the engine (docker image rm ${reference}) or choose the image built here from the verified binary.`,
  );
}

function dialable(address: string): string {
  // A wildcard publish is reached on loopback from this machine.
  return address === '0.0.0.0' || address === '::' || address === 'localhost' ? '127.0.0.1' : address;
}

function bracket(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<T>((_, reject) => {
        timer = setTimeout(() => reject(new AppError('TIMEOUT', message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a JSON progress stream to its end; an `error` entry in it is a failure (the HTTP status is 200). */
async function pull(docker: Docker, reference: string, ctx: StepContext): Promise<void> {
  ctx.log(`Pulling ${reference}`);
  try {
    const stream = await docker.pull(reference);
    await followProgress(docker, stream, `pulling ${reference}`);
  } catch (e) {
    throw dockerError(e, `pulling ${reference}`);
  }
}

/** The container's output (stdout and stderr, demultiplexed). */
export async function containerLogs(container: Docker.Container, tail = 200): Promise<string> {
  const buf = await container.logs({
    stdout: true,
    stderr: true,
    follow: false,
    tail,
  });
  // Docker multiplexes: 8-byte headers (stream, 0, 0, 0, size32) before each frame.
  const out: Buffer[] = [];
  for (let i = 0; i + 8 <= buf.length;) {
    const size = buf.readUInt32BE(i + 4);
    out.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return Buffer.concat(out).toString('utf8').trim();
}

export { isLoopback };
