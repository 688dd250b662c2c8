/**
 * What the Docker target asks the engine for, as pure functions of the plan (so the review step shows
 * it and tests assert on it): object names, labels, the image's root filesystem, and the create
 * requests of the one-shot registration container and the server container.
 *
 * Inside the container the server binds 0.0.0.0 (the container is the boundary); the host publishes
 * the frontend on the chosen address and the GUI (8889) and API (8001) on 127.0.0.1 unless the
 * responder explicitly exposes them. With host networking (engines without a bridge) nothing is
 * published: the server binds like on a host (API and GUI on 127.0.0.1).
 */
import type Docker from 'dockerode';
import { OFFICIAL_REPOSITORY } from '../../../../shared/deploy';
import type { TarEntry } from './tar';

export { OFFICIAL_REPOSITORY };

export const LABEL = {
  managedBy: 'org.megaraptor.managed-by',
  deployment: 'org.megaraptor.deployment',
  role: 'org.megaraptor.role',
  profile: 'org.megaraptor.profile',
  destroyAt: 'org.megaraptor.auto-destroy-at',
} as const;

export const CONFIG_DIR = '/etc/velociraptor';
export const CONFIG_PATH = `${CONFIG_DIR}/server.config.yaml`;
export const DATA_DIR = '/data';
/** The unprivileged user the server runs as in our image (the "nonroot" uid of minimal images). */
export const SERVER_UID = 65532;
export const LOCAL_BINARY_PATH = '/usr/local/bin/velociraptor';
/** Upstream's image keeps the binary here and runs as root. */
export const OFFICIAL_BINARY_PATH = '/bin/velociraptor';

export interface ImageFile {
  /** Absolute path inside the image. */
  path: string;
  /** File on this machine. */
  source: string;
  mode: number;
}

export interface PortChoice {
  bindAddress: string;
  /** Host port; null lets Docker choose a free one (read back after the start). */
  port: number | null;
  /** Required to publish on anything but loopback (warned). */
  expose?: boolean;
}

export interface HealthSettings {
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

/**
 * A check that fails answers within a second (the query exits 1); only a busy engine host makes one
 * slow, so a check may take Docker's own default of 30 s before it counts as failed: a healthy server
 * on a loaded laptop must not be rolled back.
 */
export const DEFAULT_HEALTH: HealthSettings = {
  intervalMs: 5_000,
  timeoutMs: 30_000,
  retries: 3,
  startPeriodMs: 60_000,
};

export interface DockerNames {
  server: string;
  /** The network of a multi-frontend deployment on a bridge (minions dial the master's API by name). */
  network: string;
  init: string;
  configVolume: string;
  dataVolume: string;
  image: string;
}

export function namesFor(deploymentId: string): DockerNames {
  return {
    server: `megaraptor-${deploymentId}-server`,
    network: `megaraptor-${deploymentId}-net`,
    init: `megaraptor-${deploymentId}-init`,
    configVolume: `megaraptor-${deploymentId}-config`,
    dataVolume: `megaraptor-${deploymentId}-data`,
    image: `megaraptor/velociraptor-server:${deploymentId}`,
  };
}

export function labelsFor(
  deploymentId: string,
  role: 'server' | 'minion' | 'network' | 'init' | 'config' | 'data' | 'image' | 'expiry',
  extra: { profile?: string; destroyAt?: string | null } = {},
): Record<string, string> {
  return {
    [LABEL.managedBy]: 'megaraptor-desktop',
    [LABEL.deployment]: deploymentId,
    [LABEL.role]: role,
    ...(extra.profile ? { [LABEL.profile]: extra.profile } : {}),
    ...(extra.destroyAt ? { [LABEL.destroyAt]: extra.destroyAt } : {}),
  };
}

/**
 * A minimal root filesystem for the verified static binary: the binary, an unprivileged user, the
 * config and data folders owned by it, /tmp. Nothing else (no shell, no package manager).
 */
export function rootfsEntries(binarySource: string, extraFiles: ImageFile[] = []): TarEntry[] {
  const owned = { uid: SERVER_UID, gid: SERVER_UID };
  const dirs = new Set<string>();
  const parents = (path: string): TarEntry[] => {
    const out: TarEntry[] = [];
    const parts = path.replace(/^\//, '').split('/').slice(0, -1);
    for (let i = 1; i <= parts.length; i++) {
      const d = parts.slice(0, i).join('/');
      if (dirs.has(d)) continue;
      dirs.add(d);
      out.push({ path: d, type: 'dir', mode: 0o755 });
    }
    return out;
  };
  const entries: TarEntry[] = [
    ...parents('/etc/passwd'),
    {
      path: 'etc/passwd',
      type: 'file',
      mode: 0o644,
      data: `root:x:0:0:root:/root:/sbin/nologin\nvelociraptor:x:${SERVER_UID}:${SERVER_UID}:Velociraptor server:${DATA_DIR}:/sbin/nologin\n`,
    },
    { path: 'etc/group', type: 'file', mode: 0o644, data: `root:x:0:\nvelociraptor:x:${SERVER_UID}:\n` },
    { path: CONFIG_DIR.slice(1), type: 'dir', mode: 0o700, ...owned },
    { path: DATA_DIR.slice(1), type: 'dir', mode: 0o700, ...owned },
    { path: 'tmp', type: 'dir', mode: 0o1777 },
    ...parents(LOCAL_BINARY_PATH),
    { path: LOCAL_BINARY_PATH.slice(1), type: 'file', mode: 0o755, source: binarySource },
  ];
  dirs.add('etc');
  dirs.add(CONFIG_DIR.slice(1));
  dirs.add(DATA_DIR.slice(1));
  dirs.add('tmp');
  for (const f of extraFiles) {
    entries.push(...parents(f.path), {
      path: f.path.replace(/^\//, ''),
      type: 'file',
      mode: f.mode,
      source: f.source,
    });
  }
  return entries;
}

/** The `changes` of the image import: who runs, what runs, labels. */
export function imageChanges(deploymentId: string, profile: string): string[] {
  const labels = labelsFor(deploymentId, 'image', { profile });
  return [
    `USER ${SERVER_UID}:${SERVER_UID}`,
    `WORKDIR ${DATA_DIR}`,
    `ENV HOME=${DATA_DIR}`,
    `CMD ${JSON.stringify([LOCAL_BINARY_PATH, '--config', CONFIG_PATH, 'frontend', '-v'])}`,
    ...Object.entries(labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
  ];
}

/** Upstream's repository, an optional `v` (refused), the version tag, the digest. */
const OFFICIAL_REFERENCE =
  /^ghcr\.io\/velocidex\/velociraptor-server(?::(v?)(\d+\.\d+(?:\.\d+)?(?:-\d+)?))?(?:@(sha256:[0-9a-f]{64}))?$/;

/**
 * The release an official reference is pinned to (its tag is the bare version), for the config's
 * `version`; undefined for a digest-only pin.
 */
export function officialVersion(reference: string): string | undefined {
  const m = OFFICIAL_REFERENCE.exec(reference);
  return m && !m[1] ? m[2] : undefined;
}

/**
 * Refuses `:latest` and anything not pinned to a release tag or a digest. Upstream tags the image with
 * the bare version (`:0.77.2`: its magefile's Container target uses constants.VERSION), not with the
 * GitHub release tag (`v0.77.2`), so a `v` tag is refused with the right one named (it would only fail
 * later as "manifest unknown").
 */
export function checkOfficialReference(reference: string): string {
  const m = OFFICIAL_REFERENCE.exec(reference);
  if (m?.[1])
    throw new Error(
      `Upstream tags its image with the bare version, not the release tag: use ${OFFICIAL_REPOSITORY}:${m[2]}${m[3] ? `@${m[3]}` : ''} instead of "${reference}".`,
    );
  if (!m || (!m[2] && !m[3]))
    throw new Error(
      `The official image must be ${OFFICIAL_REPOSITORY} pinned to a release tag (e.g. :0.77.2) or a digest (@sha256:…); "${reference}" is not. Never :latest — it is built from master.`,
    );
  return reference;
}

/**
 * The health check: Velociraptor's own binary runs a local query that logs an ERROR — and so exits
 * non-zero — unless the frontend's /healthz answers 200 (the image has no shell and no curl).
 */
export function healthcheck(binary: string, frontendPort: number, h: HealthSettings): Docker.HealthConfig {
  const vql = `SELECT log(level='ERROR', message='Velociraptor frontend is not healthy: %v', args=Response, dedup=-1) FROM http_client(url='https://127.0.0.1:${frontendPort}/healthz', disable_ssl_security=TRUE) WHERE Response != 200`;
  const ns = (ms: number) => ms * 1_000_000;
  return {
    Test: ['CMD', binary, 'query', vql],
    Interval: ns(h.intervalMs),
    Timeout: ns(h.timeoutMs),
    Retries: h.retries,
    StartPeriod: ns(h.startPeriodMs),
  };
}

export interface ServerContainerInput {
  deploymentId: string;
  profile: string;
  destroyAt: string | null;
  image: string;
  binary: string;
  user: string;
  network: 'bridge' | 'host';
  /** With minions on a bridge: the deployment's own network (names resolve there), not the default one. */
  networkName?: string;
  /** Ports the server listens on in the container (= on the host with host networking). */
  ports: { frontend: number; api: number; gui: number };
  publish: { frontend: PortChoice; api: PortChoice; gui: PortChoice };
  limits: { memoryBytes: number; nanoCpus: number; pids: number };
  health: HealthSettings;
}

const hostPort = (p: PortChoice): string => (p.port === null ? '' : String(p.port));

export function serverContainerSpec(input: ServerContainerInput): Docker.ContainerCreateOptions {
  const names = namesFor(input.deploymentId);
  const tcp = (n: number) => `${n}/tcp`;
  const bridge = input.network === 'bridge';
  return {
    name: names.server,
    Image: input.image,
    User: input.user,
    Cmd: [input.binary, '--config', CONFIG_PATH, 'frontend', '-v'],
    Labels: labelsFor(input.deploymentId, 'server', { profile: input.profile, destroyAt: input.destroyAt }),
    ...(bridge
      ? {
          ExposedPorts: {
            [tcp(input.ports.frontend)]: {},
            [tcp(input.ports.api)]: {},
            [tcp(input.ports.gui)]: {},
          },
        }
      : {}),
    Healthcheck: healthcheck(input.binary, input.ports.frontend, input.health),
    HostConfig: {
      NetworkMode: bridge ? (input.networkName ?? 'bridge') : 'host',
      ...(bridge
        ? {
            PortBindings: {
              [tcp(input.ports.frontend)]: [
                { HostIp: input.publish.frontend.bindAddress, HostPort: hostPort(input.publish.frontend) },
              ],
              [tcp(input.ports.api)]: [
                { HostIp: input.publish.api.bindAddress, HostPort: hostPort(input.publish.api) },
              ],
              [tcp(input.ports.gui)]: [
                { HostIp: input.publish.gui.bindAddress, HostPort: hostPort(input.publish.gui) },
              ],
            },
          }
        : {}),
      Mounts: [
        { Type: 'volume', Source: names.configVolume, Target: CONFIG_DIR, ReadOnly: true },
        { Type: 'volume', Source: names.dataVolume, Target: DATA_DIR, ReadOnly: false },
      ],
      ...confined(input.limits, '512m'),
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
    },
  };
}

/** What every node's container (the server's, each minion's) is made from. */
export type NodeContainerInput = Omit<ServerContainerInput, 'ports' | 'publish'>;

export interface MinionContainerInput extends NodeContainerInput {
  /** Velociraptor's node name (`<hostname>-<port>`), selecting the minion's ExtraFrontends entry. */
  node: string;
  /** The port it serves agents on, in the container and published on the host alike. */
  port: number;
  /** Where the host publishes it (bridge) or where it binds (host networking). */
  bindAddress: string;
}

/** The container of one minion, named by its port (unique in the deployment, like its node name). */
export function minionContainerName(deploymentId: string, port: number): string {
  return `megaraptor-${deploymentId}-minion-${port}`;
}

/**
 * A minion: the same image, config and data volume as the server (the shared file store), started as
 * `frontend --minion --node <name>`; it serves agents only (no API, no GUI port to publish).
 */
export function minionContainerSpec(input: MinionContainerInput): Docker.ContainerCreateOptions {
  const bridge = input.network === 'bridge';
  const names = namesFor(input.deploymentId);
  const tcp = `${input.port}/tcp`;
  return {
    name: minionContainerName(input.deploymentId, input.port),
    Image: input.image,
    User: input.user,
    Cmd: [input.binary, '--config', CONFIG_PATH, 'frontend', '--minion', '--node', input.node, '-v'],
    Labels: labelsFor(input.deploymentId, 'minion', { profile: input.profile, destroyAt: input.destroyAt }),
    ...(bridge ? { ExposedPorts: { [tcp]: {} } } : {}),
    Healthcheck: healthcheck(input.binary, input.port, input.health),
    HostConfig: {
      NetworkMode: bridge ? (input.networkName ?? 'bridge') : 'host',
      ...(bridge
        ? { PortBindings: { [tcp]: [{ HostIp: input.bindAddress, HostPort: String(input.port) }] } }
        : {}),
      Mounts: [
        { Type: 'volume', Source: names.configVolume, Target: CONFIG_DIR, ReadOnly: true },
        { Type: 'volume', Source: names.dataVolume, Target: DATA_DIR, ReadOnly: false },
      ],
      ...confined(input.limits, '512m'),
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
    },
  };
}

/**
 * What every container we run gets: a read-only root with a small /tmp, the profile's limits (no
 * swap beyond them), no capabilities and no privilege gain, and an init as PID 1 — without one the
 * program as PID 1 may ignore SIGTERM and stop only after the kill timeout.
 */
export function confined(
  limits: { memoryBytes: number; nanoCpus: number; pids: number },
  tmpSize: string,
): Docker.HostConfig {
  return {
    Tmpfs: { '/tmp': `rw,nosuid,nodev,size=${tmpSize}` },
    ReadonlyRootfs: true,
    Memory: limits.memoryBytes,
    MemorySwap: limits.memoryBytes,
    NanoCpus: limits.nanoCpus,
    PidsLimit: limits.pids,
    Init: true,
    CapDrop: ['ALL'],
    SecurityOpt: ['no-new-privileges'],
  };
}

/** The one-shot container that registers the API identity before the first start (no network). */
export function initContainerSpec(input: {
  deploymentId: string;
  image: string;
  user: string;
  argv: string[];
  limits: { memoryBytes: number; nanoCpus: number; pids: number };
}): Docker.ContainerCreateOptions {
  const names = namesFor(input.deploymentId);
  return {
    name: names.init,
    Image: input.image,
    User: input.user,
    Cmd: input.argv,
    Labels: labelsFor(input.deploymentId, 'init'),
    HostConfig: {
      NetworkMode: 'none',
      Mounts: [
        // Read-write: the config is written into the volume through this container.
        { Type: 'volume', Source: names.configVolume, Target: CONFIG_DIR, ReadOnly: false },
        { Type: 'volume', Source: names.dataVolume, Target: DATA_DIR, ReadOnly: false },
      ],
      ...confined(input.limits, '256m'),
    },
  };
}
