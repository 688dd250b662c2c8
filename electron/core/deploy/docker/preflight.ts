/**
 * Pre-flight checks of a Docker engine before anything is made: reachable, Linux containers on
 * amd64 (Windows containers refused clearly: Velociraptor's server image is Linux), an API version
 * with the features used, CPUs/memory/disk for the profile, the chosen ports free and the bind
 * addresses safe, the deployment's names unused. Every check is reported; the runner refuses to go on
 * when one failed.
 */
import { statfs } from 'node:fs/promises';
import { createServer } from 'node:net';
import { isIP } from 'node:net';
import type Docker from 'dockerode';
import type { PreflightCheck } from '../../../../shared/deploy';
import type { ResolvedProfile } from '../profiles';
import { dockerError, engineIsLocal, engineKey, isNotFound, type EngineRef } from './engine';
import { namesFor, type PortChoice } from './spec';

/** Init, PidsLimit, Healthcheck.StartPeriod, Mounts: all in API 1.40 (Docker 19.03). */
export const MIN_API_VERSION = '1.40';

const GiB = 1024 ** 3;

export function isLoopback(address: string): boolean {
  return address === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(address) || address === 'localhost';
}

function versionAtLeast(actual: string, wanted: string): boolean {
  const [a1 = 0, a2 = 0] = actual.split('.').map(Number);
  const [w1 = 0, w2 = 0] = wanted.split('.').map(Number);
  return a1 > w1 || (a1 === w1 && a2 >= w2);
}

function ok(id: string, title: string, message: string): PreflightCheck {
  return { id, title, status: 'ok', message };
}
function warn(id: string, title: string, message: string): PreflightCheck {
  return { id, title, status: 'warn', message };
}
function failed(id: string, title: string, message: string): PreflightCheck {
  return { id, title, status: 'failed', message };
}

/** Whether a TCP port can be bound here now (the engine on this machine will need it). */
export function portFree(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: address, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The fields of GET /info this uses (dockerode types it as any). */
interface EngineInfo {
  ServerVersion?: string;
  OSType?: string;
  Architecture?: string;
  NCPU?: number;
  MemTotal?: number;
  DockerRootDir?: string;
}

export interface DockerPreflightInput {
  engine: EngineRef;
  profile: ResolvedProfile;
  deploymentId: string;
  network: 'bridge' | 'host';
  /** Where each port is bound on the engine's host: published ports, or the server's own with host networking. */
  ports: Record<'frontend' | 'api' | 'gui', PortChoice>;
  /** A connection of this name must not exist yet. */
  connectionName: string;
  connectionExists: (name: string) => Promise<boolean>;
}

export async function dockerPreflight(
  docker: Docker,
  input: DockerPreflightInput,
): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = [];
  const where = engineKey(input.engine);
  let info: EngineInfo;
  let version: Awaited<ReturnType<Docker['version']>>;
  try {
    [info, version] = await Promise.all([docker.info() as Promise<EngineInfo>, docker.version()]);
  } catch (e) {
    const err = e as { code?: string; message?: string };
    return [
      failed(
        'engine',
        'Docker engine reachable',
        `The Docker engine at ${where} does not answer (${err.code ?? err.message ?? String(e)}). Start Docker, or check that this user may use its socket.`,
      ),
    ];
  }
  checks.push(
    ok('engine', 'Docker engine reachable', `${where}: Docker ${info.ServerVersion ?? version.Version}`),
  );

  const osType = String(info.OSType ?? version.Os ?? '').toLowerCase();
  checks.push(
    osType === 'linux'
      ? ok('os', 'Linux containers', 'The engine runs Linux containers.')
      : failed(
          'os',
          'Linux containers',
          osType === 'windows'
            ? "This engine runs Windows containers; Velociraptor's server image is a Linux image. Switch Docker Desktop to Linux containers (or use another engine)."
            : `This engine runs ${osType || 'unknown'} containers; a Linux engine is needed.`,
        ),
  );
  const arch = String(info.Architecture ?? version.Arch ?? '');
  checks.push(
    arch === 'x86_64' || arch === 'amd64'
      ? ok('arch', 'amd64 engine', `Architecture ${arch}.`)
      : failed(
          'arch',
          'amd64 engine',
          `The engine is ${arch || 'of unknown architecture'}; Velociraptor's static (musl) server build and upstream's image exist for amd64 only. Deploy to an amd64 host over SSH instead.`,
        ),
  );
  const api = String(version.ApiVersion ?? '');
  checks.push(
    api && versionAtLeast(api, MIN_API_VERSION)
      ? ok('api-version', 'Docker API version', `API ${api}.`)
      : failed(
          'api-version',
          'Docker API version',
          `The engine speaks API ${api || '?'}; ${MIN_API_VERSION} or newer (Docker 19.03+) is needed.`,
        ),
  );

  const p = input.profile;
  const cpus = Number(info.NCPU ?? 0);
  const mem = Number(info.MemTotal ?? 0);
  checks.push(
    cpus >= p.minimum.cpus
      ? ok('cpu', 'CPUs for the profile', `${cpus} CPUs (the ${p.title} profile needs ${p.minimum.cpus}).`)
      : failed(
          'cpu',
          'CPUs for the profile',
          `The engine has ${cpus} CPUs; the ${p.title} profile needs ${p.minimum.cpus}. Choose a smaller profile or override its minimum.`,
        ),
  );
  if (p.limits.nanoCpus > cpus * 1e9)
    checks.push(
      failed(
        'cpu-limit',
        'CPU limit fits',
        `The CPU limit (${p.limits.nanoCpus / 1e9} CPUs) is more than the engine has (${cpus}); Docker would refuse the container. Lower it to ${cpus} or less.`,
      ),
    );
  checks.push(
    mem >= p.minimum.memoryBytes
      ? ok(
          'memory',
          'Memory for the profile',
          `${(mem / GiB).toFixed(1)} GiB (the profile needs ${(p.minimum.memoryBytes / GiB).toFixed(1)} GiB).`,
        )
      : failed(
          'memory',
          'Memory for the profile',
          `The engine has ${(mem / GiB).toFixed(1)} GiB; the ${p.title} profile needs ${(p.minimum.memoryBytes / GiB).toFixed(1)} GiB.`,
        ),
  );
  if (p.limits.memoryBytes > mem)
    checks.push(
      warn(
        'memory-limit',
        'Memory limit',
        `The memory limit (${(p.limits.memoryBytes / GiB).toFixed(1)} GiB) is above the engine's memory: it will never be reached.`,
      ),
    );

  const root = info.DockerRootDir;
  if (engineIsLocal(input.engine) && root) {
    try {
      const s = await statfs(root);
      const free = s.bavail * s.bsize;
      checks.push(
        free >= p.minimum.diskBytes
          ? ok('disk', 'Free disk', `${(free / GiB).toFixed(1)} GiB free under ${root}.`)
          : failed(
              'disk',
              'Free disk',
              `${(free / GiB).toFixed(1)} GiB free under ${root}; the ${p.title} profile needs ${(p.minimum.diskBytes / GiB).toFixed(0)} GiB.`,
            ),
      );
    } catch {
      checks.push(
        warn(
          'disk',
          'Free disk',
          `Free space under ${root} cannot be read from here (an engine in a VM); check it has ${(p.minimum.diskBytes / GiB).toFixed(0)} GiB.`,
        ),
      );
    }
  } else
    checks.push(
      warn(
        'disk',
        'Free disk',
        `A remote engine: check it has ${(p.minimum.diskBytes / GiB).toFixed(0)} GiB free.`,
      ),
    );

  if (input.network === 'bridge') checks.push(await bridgeCheck(docker));
  checks.push(...bindChecks(input));
  checks.push(...(await portChecks(input)));
  checks.push(await nameCheck(docker, input));
  checks.push(
    (await input.connectionExists(input.connectionName))
      ? failed(
          'connection-name',
          'Connection name free',
          `A server connection named "${input.connectionName}" exists already; choose another deployment name.`,
        )
      : ok(
          'connection-name',
          'Connection name free',
          `The server will be added to your connections as "${input.connectionName}".`,
        ),
  );
  return checks;
}

/** Published ports need the engine's bridge network; an engine started with `--bridge=none` has none. */
async function bridgeCheck(docker: Docker): Promise<PreflightCheck> {
  const title = 'Bridge network for published ports';
  try {
    await docker.getNetwork('bridge').inspect();
    return ok('network', title, 'The server gets its own network; only its ports are published.');
  } catch (e) {
    if (!isNotFound(e)) throw dockerError(e, 'inspecting the bridge network');
    return failed(
      'network',
      title,
      "This engine has no bridge network (dockerd --bridge=none), so no port could be published. Choose the engine's host network.",
    );
  }
}

export function bindChecks(input: Pick<DockerPreflightInput, 'ports'>): PreflightCheck[] {
  const out: PreflightCheck[] = [];
  for (const [which, choice] of Object.entries(input.ports) as Array<
    [keyof DockerPreflightInput['ports'], PortChoice]
  >) {
    const title = `${which === 'api' ? 'API' : which === 'gui' ? 'GUI' : 'Frontend'} bind address`;
    if (choice.bindAddress !== 'localhost' && !isIP(choice.bindAddress)) {
      out.push(failed(`bind-${which}`, title, `"${choice.bindAddress}" is not an IP address.`));
      continue;
    }
    if (which === 'frontend') {
      out.push(
        ok(
          `bind-${which}`,
          title,
          `Agents connect on ${choice.bindAddress}:${choice.port ?? '(any free port)'}.`,
        ),
      );
      continue;
    }
    if (isLoopback(choice.bindAddress)) {
      out.push(ok(`bind-${which}`, title, `${choice.bindAddress}: reachable from this machine only.`));
    } else if (choice.expose) {
      out.push(
        warn(
          `bind-${which}`,
          title,
          `${choice.bindAddress}: the ${which === 'api' ? 'API' : 'GUI'} will be reachable from the network. Restrict it with a firewall or a VPN.`,
        ),
      );
    } else {
      out.push(
        failed(
          `bind-${which}`,
          title,
          `Publishing the ${which === 'api' ? 'API' : 'GUI'} on ${choice.bindAddress} makes it reachable from the network; confirm it explicitly (expose) or keep 127.0.0.1.`,
        ),
      );
    }
  }
  const fixed = Object.values(input.ports)
    .filter((c) => c.port !== null)
    .map((c) => c.port);
  if (new Set(fixed).size !== fixed.length)
    out.push(
      failed('ports-distinct', 'Distinct ports', 'The frontend, API and GUI need three different ports.'),
    );
  return out;
}

async function portChecks(input: DockerPreflightInput): Promise<PreflightCheck[]> {
  if (!engineIsLocal(input.engine))
    return [
      warn(
        'ports',
        'Ports free',
        'A remote engine: its ports cannot be checked from here; a taken port fails the start.',
      ),
    ];
  const out: PreflightCheck[] = [];
  for (const [which, choice] of Object.entries(input.ports)) {
    if (choice.port === null) continue;
    const address = choice.bindAddress === 'localhost' ? '127.0.0.1' : choice.bindAddress;
    out.push(
      (await portFree(address, choice.port))
        ? ok(`port-${which}`, `Port ${choice.port} free`, `${address}:${choice.port} is free.`)
        : failed(
            `port-${which}`,
            `Port ${choice.port} free`,
            `${address}:${choice.port} is in use; choose another ${which} port.`,
          ),
    );
  }
  return out;
}

async function nameCheck(docker: Docker, input: DockerPreflightInput): Promise<PreflightCheck> {
  const names = namesFor(input.deploymentId);
  const taken: string[] = [];
  for (const name of [names.server, names.init]) {
    try {
      await docker.getContainer(name).inspect();
      taken.push(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  for (const name of [names.configVolume, names.dataVolume]) {
    try {
      await docker.getVolume(name).inspect();
      taken.push(name);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }
  return taken.length
    ? failed(
        'names',
        'Names unused',
        `Docker objects with this deployment's names exist already: ${taken.join(', ')}.`,
      )
    : ok('names', 'Names unused', 'No container or volume of this deployment exists yet.');
}
