/**
 * What every Docker integration test starts before its world: the test engine, a folder of its own,
 * a gpg signer, the simulator runtime and a local HTTPS release server publishing the server binary
 * (the simulator launcher unless `binary` says otherwise) as TEST_TAG's linux-amd64-musl asset, signed.
 * Also the checks those tests share: the secret store of the run, and what a deployment left behind.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { keychainStoreFor } from '../../credentials/index';
import { MemorySecretStore } from '../../credentials/memory-store';
import type { SecretStore } from '../../credentials/secret-store';
import { LABEL } from '../docker/spec';
import { identitySecrets } from '../server-identity';
import { startTestEngine, type TestEngine } from './docker-engine';
import { TEST_ASSET, TEST_TAG, type ReleaseFixture } from './docker-world';
import { makeTestSigner, type TestSigner } from './gpg';
import { startReleaseServer, type ReleaseServer } from './release-server';
import { serviceWorld, type ServiceWorld } from './service-world';
import { simRuntime, type SimRuntime } from './sim-runtime';
import { signedRelease } from './ssh-world';

export interface DockerBed {
  engine: TestEngine;
  root: string;
  signer: TestSigner;
  runtime: SimRuntime;
  releases: ReleaseServer;
  /** The release as a world's options take it. */
  release: ReleaseFixture;
  /** Stops the release server and the engine, removes the signer's keys and the folder. */
  close(): Promise<void>;
}

/** Call when `dockerEngine().ready`; `prefix` names the test's temp folder. */
export async function startDockerBed(
  prefix: string,
  binary: (runtime: SimRuntime) => Promise<Buffer> = (r) => readFile(r.launcher),
): Promise<DockerBed> {
  const engine = await startTestEngine();
  const root = await mkdtemp(join(tmpdir(), prefix));
  const [signer, runtime] = await Promise.all([makeTestSigner(), simRuntime(join(root, 'runtime'))]);
  const data = await binary(runtime);
  const releases = await startReleaseServer([
    await signedRelease(TEST_TAG, { [TEST_ASSET]: data }, (d) => signer.sign(d)),
  ]);
  return {
    engine,
    root,
    signer,
    runtime,
    releases,
    release: { url: releases.url, caPem: releases.caPem, key: signer.key },
    async close() {
      await releases.close();
      await signer.cleanup();
      await engine.stop();
      await rm(root, { recursive: true, force: true });
    },
  };
}

/** The app's services over the bed (data in `<root>/data`, the run's secret store), and its engine. */
export async function bedServices(
  bed: DockerBed,
  options: { liftGraceMs?: number } = {},
): Promise<{ world: ServiceWorld; secrets: SecretStore; docker: Docker }> {
  const dataDir = join(bed.root, 'data');
  const secrets = testSecretStore(dataDir);
  const world = serviceWorld({ dataDir, secrets, release: bed.release, docker: true, ...options });
  return { world, secrets, docker: await world.service.engines.get(bed.engine.ref) };
}

/** The OS keychain in the test run's keyring session; elsewhere secrets stay in memory. */
export function testSecretStore(dataDir: string): SecretStore {
  return process.env.MEGARAPTOR_TEST_KEYRING === '1' ? keychainStoreFor(dataDir) : new MemorySecretStore();
}

/** Which of the deployment's identity secrets are still in the store. */
export async function secretsLeft(secrets: SecretStore, id: string): Promise<string[]> {
  const left: string[] = [];
  for (const r of Object.values(identitySecrets(id)))
    if ((await secrets.get(r.id)) !== undefined) left.push(r.id);
  return left;
}

/** The deployment's journal files still in `dir` (none when the folder is not there). */
export async function journalsLeft(dir: string, id: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => f.startsWith(id));
}

/** The engine objects labelled with the deployment's id. */
export async function labelledLeft(docker: Docker, id: string) {
  const filters = { label: [`${LABEL.deployment}=${id}`] };
  return {
    containers: await docker.listContainers({ all: true, filters }),
    volumes: (await docker.listVolumes({ filters })).Volumes ?? [],
    networks: await docker.listNetworks({ filters }),
    images: await docker.listImages({ filters }),
  };
}

/** Polls `probe` every half second until it gives a value; fails with `what` after `ms`. */
export async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
