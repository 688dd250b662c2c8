/**
 * Everything a Docker deployment test (and the crash child, and the benchmark) needs, built the way
 * the app builds it: a release server (local HTTPS, test CA) publishing the simulator launcher as the
 * linux-amd64-musl asset, signed by a key `gpg` made for the run; the release cache, journal folder
 * and connections of a data dir; a secret store (the real keychain in the test run's keyring session,
 * else the given store); the runner with the Docker deployer. Ports are free loopback ports.
 */
import type { ConnectionManager } from '../../connections/index';
import { DockerDeployer, type DockerSettingsInput } from '../docker/docker-deployer';
import { DockerEngines, type EngineRef } from '../docker/engine';
import type { JournalStore } from '../journal';
import type { TrustedKey } from '../releases/signature';
import type { DeploymentRunner } from '../runner';
import type { ImageFile } from '../docker/spec';
import { freePort } from './free-port';
import { worldParts, type WorldOptions } from './world-parts';

export { freePort };

export const TEST_TAG = 'v0.77.2';
export const TEST_ASSET = 'velociraptor-v0.77.2-linux-amd64-musl';

export interface ReleaseFixture {
  url: string;
  caPem: string;
  key: TrustedKey;
}

export interface DockerWorldOptions extends WorldOptions {
  engine: EngineRef;
  extraFiles: ImageFile[];
}

export interface DockerWorld {
  engines: DockerEngines;
  connections: ConnectionManager;
  deployer: DockerDeployer;
  runner: DeploymentRunner;
  journals: JournalStore;
  close(): Promise<void>;
}

export function dockerWorld(o: DockerWorldOptions): DockerWorld {
  const engines = new DockerEngines();
  const { connections, sink, releases, journals, runnerFor } = worldParts(o);
  const deployer = new DockerDeployer({ engines, releases, connections: sink, trustedKey: o.release.key });
  const runner = runnerFor(deployer);
  return {
    engines,
    connections,
    deployer,
    runner,
    journals,
    async close() {
      await connections.dispose();
      await engines.close();
    },
  };
}

/**
 * Host networking on loopback (the test engine has no bridge): every port fixed and free, the
 * simulator as the binary, a fast health check.
 */
export async function hostNetworkSettings(
  engine: EngineRef,
  extraFiles: ImageFile[],
): Promise<DockerSettingsInput> {
  const [frontend, api, gui] = [await freePort(), await freePort(), await freePort()];
  return {
    engine,
    image: { kind: 'local', binary: { kind: 'release', tag: TEST_TAG }, extraFiles },
    network: 'host',
    frontend: { hostname: 'localhost', bindAddress: '127.0.0.1', port: frontend },
    api: { bindAddress: '127.0.0.1', port: api },
    gui: { bindAddress: '127.0.0.1', port: gui },
    health: { intervalMs: 1000, timeoutMs: 10_000, retries: 3, startPeriodMs: 30_000 },
  };
}

/**
 * The health check of a multi-frontend test: every node runs Velociraptor's (here node's) own query as
 * its check, so three nodes checking every second load a 2-CPU machine by themselves.
 */
export const MULTI_HEALTH = { intervalMs: 3000, timeoutMs: 30_000, retries: 5, startPeriodMs: 60_000 };

/** A machine of 2 CPUs runs the tests: the profile's minimums and limits scaled down to it. */
export const SMALL = {
  minimum: { cpus: 1, memoryBytes: 256 * 1024 ** 2, diskBytes: 1024 ** 3 },
  limits: { memoryBytes: 1024 ** 3, nanoCpus: 1e9, pids: 1024 },
};
