/**
 * The rapid profile's self-destruction on a Docker engine, enforced by the engine's host and not by
 * the responder's laptop: a second, tiny container of the same image runs Velociraptor's own local
 * query command (`velociraptor query`), which sleeps until the destruction time and then asks the
 * engine, over its unix socket (Velociraptor's `/path.sock:unix/…` URL form of http_client), to remove
 * the server container, the config volume (it holds the Frontend key), the data volume and finally
 * itself. It restarts with the engine (`unless-stopped`) and sleeps only what is left.
 *
 * What it cannot remove is the image it runs from (an engine refuses to delete an image a running
 * container uses): that image holds Velociraptor's public binary and nothing of the deployment; the
 * app's reaper removes it with anything else the journal still lists.
 *
 * The container has no network, no capabilities and a read-only root filesystem; it runs as root only
 * to reach the engine's socket, which it gets bind-mounted — the engine's full API, used for exactly
 * the removals above by a fixed query (every name reaches the query as a variable, never as text).
 * The plan says so as a warning.
 */
import type Docker from 'dockerode';
import { confined, labelsFor, namesFor } from './spec';

/** Where the engine's socket appears inside the timer container. */
export const CONTAINER_SOCKET = '/var/run/docker.sock';

/**
 * The query the timer runs. Names and the time come in through `--env` (Velociraptor's query command
 * takes `--env KEY=VALUE`); each removal's answer is printed as a row for the container's log.
 */
export const EXPIRY_VQL = [
  'LET Waited <= sleep(time=int(int=DestroyAtEpoch) - now())',
  'SELECT * FROM chain(',
  "a={ SELECT 'server container' AS Removed, Response, Content FROM http_client(url=ServerUrl, method='DELETE') },",
  "b={ SELECT 'config volume' AS Removed, Response, Content FROM http_client(url=ConfigVolumeUrl, method='DELETE') },",
  "c={ SELECT 'data volume' AS Removed, Response, Content FROM http_client(url=DataVolumeUrl, method='DELETE') },",
  "d={ SELECT 'this timer' AS Removed, Response, Content FROM http_client(url=SelfUrl, method='DELETE') })",
].join(' ');

export function expiryContainerName(deploymentId: string): string {
  return `megaraptor-${deploymentId}-expiry`;
}

/** The engine's API paths the timer calls, in Velociraptor's unix-socket URL form. */
export function expiryUrls(deploymentId: string, socket = CONTAINER_SOCKET): Record<string, string> {
  const names = namesFor(deploymentId);
  const at = (path: string) => `${socket}:unix${path}`;
  return {
    ServerUrl: at(`/containers/${encodeURIComponent(names.server)}?force=true&v=false`),
    ConfigVolumeUrl: at(`/volumes/${encodeURIComponent(names.configVolume)}?force=true`),
    DataVolumeUrl: at(`/volumes/${encodeURIComponent(names.dataVolume)}?force=true`),
    SelfUrl: at(`/containers/${encodeURIComponent(expiryContainerName(deploymentId))}?force=true`),
  };
}

/** `velociraptor query --env K=V … VQL` for the timer. */
export function expiryArgv(binary: string, deploymentId: string, at: Date): string[] {
  const env = { DestroyAtEpoch: String(Math.floor(at.getTime() / 1000)), ...expiryUrls(deploymentId) };
  return [
    binary,
    'query',
    '--format',
    'jsonl',
    ...Object.entries(env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
    EXPIRY_VQL,
  ];
}

export function expiryContainerSpec(input: {
  deploymentId: string;
  image: string;
  binary: string;
  at: Date;
  /** The engine's socket on the engine's host. */
  engineSocket: string;
}): Docker.ContainerCreateOptions {
  return {
    name: expiryContainerName(input.deploymentId),
    Image: input.image,
    // Root only to open the engine's socket (owned by root); every capability dropped.
    User: '0:0',
    WorkingDir: '/tmp',
    Cmd: expiryArgv(input.binary, input.deploymentId, input.at),
    Labels: labelsFor(input.deploymentId, 'expiry', { destroyAt: input.at.toISOString() }),
    HostConfig: {
      NetworkMode: 'none',
      Mounts: [{ Type: 'bind', Source: input.engineSocket, Target: CONTAINER_SOCKET, ReadOnly: false }],
      ...confined({ memoryBytes: 256 * 1024 ** 2, nanoCpus: 250_000_000, pids: 128 }, '64m'),
      // Back after an engine restart; it sleeps only what is left, or acts at once when late.
      RestartPolicy: { Name: 'unless-stopped', MaximumRetryCount: 0 },
    },
  };
}
