/**
 * The Docker target's "official image" path on a REAL Docker engine (Debian's dockerd, host networking
 * on 127.0.0.1). No registry is reached: a TEST image of our own, laid out like upstream's
 * ghcr.io/velocidex/velociraptor-server (binary at /bin/velociraptor, root, CMD /bin/sh /bin/entrypoint,
 * an entrypoint that generates a config and downloads on a first start — testing/official-image.ts), is
 * imported into the engine under upstream's pinned name, so the deployer finds it there and never pulls.
 * Its binary is the simulator's launcher; by hand a real Velociraptor (MEGARAPTOR_REAL_VELOCIRAPTOR=/path
 * to a linux-amd64 static build).
 *
 * Asserted: the server runs the binary directly as root with our config mounted read-only (never in the
 * environment), the image's entrypoint never runs (so no generated config, no admin/"password", no
 * first-start downloads), the API answers over mTLS as the registered identity, and destroy removes
 * everything of the deployment but leaves upstream's image (not ours). Refused: an image under that name
 * that is not linux/amd64 (nothing left behind), `:latest` and the GitHub release tag `v0.77.2`.
 */
import { join } from 'node:path';
import type Docker from 'dockerode';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../credentials/secret-store';
import { build, vql } from '../../velociraptor/vql/builder';
import { containerLogs } from './docker-deployer';
import { expiryContainerName } from './expiry';
import { CONFIG_PATH } from './spec';
import {
  journalsLeft,
  labelledLeft,
  secretsLeft,
  startDockerBed,
  testSecretStore,
  type DockerBed,
} from '../testing/docker-bed';
import { dockerEngine } from '../testing/docker-engine';
import { dockerWorld, hostNetworkSettings, SMALL, type DockerWorld } from '../testing/docker-world';
import { RAPID_DOCKER_STEPS } from '../testing/expected-steps';
import {
  ENTRYPOINT_MARK,
  FIRST_START_MARK,
  importOfficialLikeImage,
  loadForeignImage,
  readContainerFile,
} from '../testing/official-image';
import { appErrorOf } from '../../../../test/app-error-of';

const part = dockerEngine();
const REFERENCE = 'ghcr.io/velocidex/velociraptor-server:0.77.2';
/** Upstream never publishes this one for arm64: a foreign image under its name, to be refused. */
const FOREIGN = 'ghcr.io/velocidex/velociraptor-server:0.77.1';
let bed: DockerBed;
let world: DockerWorld;
let secrets: SecretStore;
let docker: Docker;
let real = false;

beforeAll(async () => {
  if (!part.ready) return;
  bed = await startDockerBed('megaraptor-docker-official-');
  const dataDir = join(bed.root, 'data');
  secrets = testSecretStore(dataDir);
  world = dockerWorld({
    dataDir,
    engine: bed.engine.ref,
    release: bed.release,
    secrets,
    extraFiles: bed.runtime.extraFiles,
  });
  docker = await world.engines.get(bed.engine.ref);
  real = Boolean(process.env.MEGARAPTOR_REAL_VELOCIRAPTOR);
  const binary = process.env.MEGARAPTOR_REAL_VELOCIRAPTOR ?? bed.runtime.launcher;
  await importOfficialLikeImage(docker, {
    reference: REFERENCE,
    version: '0.77.2',
    binary,
    runtime: bed.runtime,
  });
}, 240_000);

afterAll(async () => {
  if (!bed) return;
  for (const r of [REFERENCE, FOREIGN])
    await docker
      ?.getImage(r)
      .remove({ force: true })
      .catch(() => undefined);
  await world?.close();
  await bed.close();
}, 120_000);

async function leftovers(id: string) {
  const { containers, volumes, images } = await labelledLeft(docker, id);
  return {
    containers: containers.map((c) => c.Names[0]),
    volumes: volumes.map((v) => v.Name),
    images: images.map((i) => i.RepoTags?.[0] ?? i.Id),
    secrets: await secretsLeft(secrets, id),
    journals: await journalsLeft(world.journals.dir, id),
  };
}

async function officialSettings(reference: string) {
  return {
    ...(await hostNetworkSettings(bed.engine.ref, [])),
    image: { kind: 'official' as const, reference },
  };
}

describe("Docker target with upstream's image layout on a real engine", () => {
  it(`has ${part.name} (required in CI)`, () => part.check());

  it.runIf(part.run)(
    "the test image, run as it is, takes upstream's first-start path (what a deployment must skip)",
    async () => {
      // Without this, "the entrypoint never ran" below could pass with an image that does nothing.
      const c = await docker.createContainer({
        Image: REFERENCE,
        HostConfig: { NetworkMode: 'none', AutoRemove: false },
      });
      try {
        await c.start();
        const { StatusCode } = (await c.wait()) as { StatusCode: number };
        const logs = await containerLogs(c);
        expect(StatusCode).toBe(10);
        expect(logs).toContain(ENTRYPOINT_MARK);
        expect(logs).toContain(FIRST_START_MARK);
      } finally {
        await c.remove({ force: true });
      }
    },
    60_000,
  );

  it.runIf(part.run)(
    'deploys from the pinned image found on the engine: binary run directly, config mounted, no first start',
    async () => {
      const settings = await officialSettings(REFERENCE);
      const plan = await world.runner.plan('docker', {
        name: 'official',
        profile: 'rapid',
        overrides: SMALL,
        settings,
      });
      // No binary to verify: the image carries it.
      expect(plan.steps.map((s) => s.id)).toEqual(RAPID_DOCKER_STEPS.filter((s) => s !== 'binary'));
      expect(plan.warnings.join(' ')).toMatch(/Upstream's server image is not signed/);

      const out = await world.runner.deploy(plan);
      expect(out.journal.state).toBe('deployed');
      const imageId = (await docker.getImage(REFERENCE).inspect()).Id;
      expect(out.journal.outputs.imageId).toBe(imageId);
      // Found on the engine, so not journaled: the deployment never removes upstream's image.
      expect(out.journal.resources.filter((r) => r.kind === 'image')).toEqual([]);

      const server = docker.getContainer(`megaraptor-${plan.deploymentId}-server`);
      const c = await server.inspect();
      expect(c.Config.Image).toBe(REFERENCE);
      expect(c.Image).toBe(imageId);
      // Upstream's image runs as root; the binary runs directly (the image's CMD is replaced, so its
      // entrypoint — config generation, admin/"password", package downloads — never runs).
      expect(c.Config.User).toBe('0:0');
      expect(c.Config.Entrypoint ?? []).toEqual([]);
      expect(c.Config.Cmd).toEqual(['/bin/velociraptor', '--config', CONFIG_PATH, 'frontend', '-v']);
      expect(c.Config.Healthcheck?.Test?.slice(0, 3)).toEqual(['CMD', '/bin/velociraptor', 'query']);
      expect(c.State.Health?.Status).toBe('healthy');
      expect(c.HostConfig).toMatchObject({ ReadonlyRootfs: true, CapDrop: ['ALL'], Init: true });
      // The config comes from its volume, read-only, at the path upstream's entrypoint also reads.
      expect(c.Mounts.find((m) => m.Destination === '/etc/velociraptor')).toMatchObject({
        Type: 'volume',
        Name: `megaraptor-${plan.deploymentId}-config`,
        RW: false,
      });
      // …and nowhere in the environment (`docker inspect` shows it): none of upstream's variables either.
      expect((c.Config.Env ?? []).filter((e) => /^VELOCIRAPTOR_/.test(e))).toEqual([]);
      expect(JSON.stringify(c.Config.Env)).not.toMatch(/PRIVATE KEY|CERTIFICATE/);

      const logs = await containerLogs(server);
      expect(logs).not.toContain(ENTRYPOINT_MARK);
      expect(logs).not.toContain(FIRST_START_MARK);

      // The mounted config is ours: datastore on our volume, no first-start artifact, no custom
      // artifact folder, no CA private key.
      const config = parseYaml(await readContainerFile(server, CONFIG_PATH)) as {
        version?: { version?: string };
        Datastore?: { location?: string };
        Frontend?: { initial_server_artifacts?: unknown };
        defaults?: { artifact_definitions_directories?: unknown };
        CA?: { private_key?: string };
      };
      expect(config.Datastore?.location).toBe('/data');
      expect(config.version?.version).toBe('0.77.2');
      expect(config.Frontend?.initial_server_artifacts ?? []).toEqual([]);
      expect(config.defaults?.artifact_definitions_directories ?? []).toEqual([]);
      expect(config.CA?.private_key ?? '').toBe('');

      // The rapid profile's timer runs from the same image and binary.
      const timer = await docker.getContainer(expiryContainerName(plan.deploymentId)).inspect();
      expect(timer.Config.Image).toBe(REFERENCE);
      expect(timer.Config.Cmd?.[0]).toBe('/bin/velociraptor');
      expect(timer.State.Running).toBe(true);

      // The API answers over mTLS as the identity registered before the first start.
      const conn = world.connections.registry.connection(plan.name);
      await world.connections.service({ server: plan.name, org: '' });
      const rows = (await conn.queryRows(build(vql`SELECT whoami() AS User FROM scope()`))).rows;
      expect(rows).toEqual([{ User: 'megaraptor-app' }]);
      console.log(`official layout deployed with ${real ? 'a real Velociraptor' : 'the simulator'}`);

      const removed = await world.runner.destroy(plan.deploymentId);
      expect(removed.every((r) => r.ok)).toBe(true);
      expect(await leftovers(plan.deploymentId)).toEqual({
        containers: [],
        volumes: [],
        images: [],
        secrets: [],
        journals: [],
      });
      expect((await world.connections.list()).connections.map((x) => x.name)).not.toContain(plan.name);
      // Upstream's image stays: it was on the engine before the deployment.
      expect((await docker.getImage(REFERENCE).inspect()).Id).toBe(imageId);
    },
    300_000,
  );

  it.runIf(part.run)(
    'refuses an image under upstream name that is not linux/amd64 and leaves nothing',
    async () => {
      await loadForeignImage(docker, FOREIGN, 'arm64');
      const foreign = await docker.getImage(FOREIGN).inspect();
      expect(foreign.Architecture).toBe('arm64');
      const plan = await world.runner.plan('docker', {
        name: 'foreign',
        profile: 'rapid',
        overrides: SMALL,
        settings: await officialSettings(FOREIGN),
      });
      const err = await appErrorOf(world.runner.deploy(plan));
      expect(err.code).toBe('DEPLOY_FAILED');
      expect(err.message).toMatch(/is linux\/arm64; upstream's server image exists for linux\/amd64 only/);
      expect(await leftovers(plan.deploymentId)).toMatchObject({
        containers: [],
        volumes: [],
        images: [],
        secrets: [],
      });
      const journal = await world.journals.read(plan.deploymentId);
      expect(journal.state).toBe('rolled-back');
      // Not ours either: still there.
      expect((await docker.getImage(FOREIGN).inspect()).Id).toBe(foreign.Id);
    },
    120_000,
  );

  it.runIf(part.run)('refuses :latest and the release tag before anything is planned', async () => {
    const latest = await appErrorOf(
      world.runner.plan('docker', {
        name: 'latest',
        profile: 'rapid',
        overrides: SMALL,
        settings: await officialSettings('ghcr.io/velocidex/velociraptor-server:latest'),
      }),
    );
    expect(latest.code).toBe('INVALID_ARGUMENT');
    expect(latest.message).toMatch(/Never :latest — it is built from master/);
    const v = await appErrorOf(
      world.runner.plan('docker', {
        name: 'vtag',
        profile: 'rapid',
        overrides: SMALL,
        settings: await officialSettings('ghcr.io/velocidex/velociraptor-server:v0.77.2'),
      }),
    );
    expect(v.message).toMatch(/use ghcr\.io\/velocidex\/velociraptor-server:0\.77\.2 instead/);
  });
});
