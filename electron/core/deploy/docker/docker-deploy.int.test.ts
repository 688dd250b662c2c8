/**
 * The Docker target end to end on a REAL Docker engine (Debian's dockerd, no bridge: containers use
 * host networking and are reached on 127.0.0.1 only). The "release" is the simulator launcher, served
 * by a local HTTPS release server and signed by a key gpg made for the run, so the whole chain runs:
 * list → download → verify → image imported from a root filesystem → volumes → config over the
 * Docker API → `velociraptor user add` in a one-shot container → server with limits and a health
 * check → healthy → API over mTLS as the registered identity → GUI login → connection added →
 * destroy leaves no container, volume, image, secret, connection or journal.
 */
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../../../shared/deploy';
import type { SecretStore } from '../../credentials/secret-store';
import { build, vql } from '../../velociraptor/vql/builder';
import { dockerPlan } from './docker-deployer';
import { LABEL } from './spec';
import type { SimRuntime } from '../testing/sim-runtime';
import {
  journalsLeft,
  labelledLeft,
  secretsLeft,
  startDockerBed,
  testSecretStore,
  type DockerBed,
} from '../testing/docker-bed';
import { dockerEngine } from '../testing/docker-engine';
import { RAPID_DOCKER_STEPS } from '../testing/expected-steps';
import { dockerWorld, freePort, hostNetworkSettings, SMALL, type DockerWorld } from '../testing/docker-world';
import { identitySecrets } from '../server-identity';
import { verifyGui } from '../verify';
import { appErrorOf } from '../../../../test/app-error-of';

const part = dockerEngine();
let bed: DockerBed;
let runtime: SimRuntime;
let root: string;
let world: DockerWorld;
let secrets: SecretStore;
let docker: Docker;

beforeAll(async () => {
  if (!part.ready) return;
  bed = await startDockerBed('megaraptor-docker-int-');
  ({ runtime, root } = bed);
  const dataDir = join(root, 'data');
  secrets = testSecretStore(dataDir);
  world = dockerWorld({
    dataDir,
    engine: bed.engine.ref,
    release: bed.release,
    secrets,
    extraFiles: runtime.extraFiles,
  });
  docker = await world.engines.get(bed.engine.ref);
}, 240_000);

afterAll(async () => {
  if (!bed) return;
  await world?.close();
  await bed.close();
}, 120_000);

function ref() {
  return bed.engine.ref;
}

async function leftovers(deploymentId: string) {
  const { containers, volumes, images } = await labelledLeft(docker, deploymentId);
  return {
    containers: containers.map((c) => c.Names[0]),
    volumes: volumes.map((v) => v.Name),
    images: images.map((i) => i.RepoTags?.[0] ?? i.Id),
    secrets: await secretsLeft(secrets, deploymentId),
    journals: await journalsLeft(world.journals.dir, deploymentId),
  };
}

describe('Docker target on a real engine', () => {
  it(`has ${part.name} (required in CI)`, () => part.check());

  it.runIf(part.run)(
    'deploys a verified, healthy, connected server and destroys it without a trace',
    async () => {
      const settings = await hostNetworkSettings(ref(), runtime.extraFiles);
      const plan = await world.runner.plan('docker', {
        name: `ir-${randomBytes(3).toString('hex')}`,
        profile: 'rapid',
        overrides: SMALL,
        settings,
      });
      // The review step: every resource, named before it exists.
      expect(plan.steps.map((s) => s.id)).toEqual(RAPID_DOCKER_STEPS);
      expect(plan.steps.flatMap((s) => s.resources.map((r) => r.kind)).sort()).toEqual(
        [
          'connection',
          'container',
          'container',
          'container',
          'image',
          'secret',
          'secret',
          'secret',
          'secret',
          'volume',
          'volume',
        ].sort(),
      );

      const events: ProgressEvent[] = [];
      const t0 = Date.now();
      const out = await world.runner.deploy(plan, { onEvent: (e) => events.push(e) });
      const seconds = (Date.now() - t0) / 1000;
      expect(out.journal.state).toBe('deployed');
      expect(out.journal.outputs).toMatchObject({
        binarySigned: true,
        binaryVersion: '0.77.2',
        apiUser: 'megaraptor-app',
        adminUser: 'admin',
        connectionName: plan.name,
        apiEndpoint: `127.0.0.1:${(settings.api as { port: number }).port}`,
      });
      // Rapid: destroys itself 72 h after the deployment.
      expect(Date.parse(out.journal.autoDestroyAt!) - Date.parse(out.journal.deployedAt!)).toBe(
        72 * 3_600_000,
      );
      const done = events
        .filter((e) => e.type === 'step' && e.state === 'done')
        .map((e) => (e as { step: string }).step);
      expect(done).toEqual(['preflight', ...plan.steps.map((s) => s.id)]);
      expect(events.some((e) => e.type === 'progress' && e.step === 'image' && e.fraction === 1)).toBe(true);
      console.log(`deployed in ${seconds.toFixed(1)} s`);

      // The container as asked: labels, limits, Init, health check, config mounted read-only, no env secret.
      const c = await docker.getContainer(`megaraptor-${plan.deploymentId}-server`).inspect();
      expect(c.Config.Labels).toMatchObject({
        [LABEL.deployment]: plan.deploymentId,
        [LABEL.profile]: 'rapid',
        [LABEL.role]: 'server',
      });
      expect(c.Config.Labels[LABEL.destroyAt]).toBe(plan.autoDestroyAt);
      expect(c.HostConfig).toMatchObject({
        Init: true,
        Memory: 1024 ** 3,
        NanoCpus: 1e9,
        PidsLimit: 1024,
        ReadonlyRootfs: true,
        CapDrop: ['ALL'],
        NetworkMode: 'host',
      });
      expect(c.Mounts.find((m) => m.Destination === '/etc/velociraptor')).toMatchObject({ RW: false });
      expect(c.Config.Healthcheck?.Test?.slice(0, 3)).toEqual([
        'CMD',
        '/usr/local/bin/velociraptor',
        'query',
      ]);
      expect(c.State.Health?.Status).toBe('healthy');
      expect(JSON.stringify(c.Config.Env)).not.toMatch(/PRIVATE KEY|CERTIFICATE|VELOCIRAPTOR_LITERAL_CONFIG/);
      expect(c.Config.User).toBe('65532:65532');

      // The server is among the app's connections and answers over mTLS as the registered identity.
      const list = await world.connections.list();
      expect(list.connections.map((x) => x.name)).toContain(plan.name);
      const service = await world.connections.service({ server: plan.name, org: '' });
      const conn = world.connections.registry.connection(plan.name);
      const rows = (await conn.queryRows(build(vql`SELECT whoami() AS User FROM scope()`))).rows;
      expect(rows).toEqual([{ User: 'megaraptor-app' }]);
      expect(service).toBeDefined();

      // The GUI takes the admin's password from the keychain (and refuses another).
      const ca = JSON.parse((await secrets.get(identitySecrets(plan.deploymentId).ca.id))!) as {
        certificatePem: string;
      };
      const pw = (await secrets.get(identitySecrets(plan.deploymentId).adminPassword.id))!;
      await verifyGui(String(out.journal.outputs.guiUrl), ca.certificatePem, 'admin', pw);

      // Destroy: nothing left.
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
    },
    300_000,
  );

  it.runIf(part.run)(
    'publishes GUI and API on 127.0.0.1 in a bridge network: the create request the engine accepts',
    async () => {
      const settings = {
        ...(await hostNetworkSettings(ref(), runtime.extraFiles)),
        network: 'bridge' as const,
        frontend: { hostname: 'ir.example.org', bindAddress: '0.0.0.0', port: 8443 },
        api: { bindAddress: '127.0.0.1', port: null },
        gui: { bindAddress: '127.0.0.1', port: await freePort() },
      };
      const plan = await world.runner.plan('docker', {
        name: 'bridge-spec',
        profile: 'standard',
        overrides: SMALL,
        settings,
      });
      const spec = world.deployer.containerSpec(dockerPlan(plan));
      expect(spec.HostConfig?.PortBindings).toEqual({
        '8000/tcp': [{ HostIp: '0.0.0.0', HostPort: '8443' }],
        '8001/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }],
        '8889/tcp': [{ HostIp: '127.0.0.1', HostPort: String(settings.gui.port) }],
      });
      expect(spec.HostConfig?.NetworkMode).toBe('bridge');
      expect(spec.ExposedPorts).toEqual({ '8000/tcp': {}, '8001/tcp': {}, '8889/tcp': {} });
      // The real engine takes exactly this request (created, never started: this engine has no bridge).
      const img = 'megaraptor/spec-probe:1';
      const { tarStream } = await import('./tar');
      const probe = await (docker.importImage(
        tarStream([{ path: 'probe', type: 'file', mode: 0o644, data: 'x' }]),
        {
          repo: 'megaraptor/spec-probe',
          tag: '1',
        } as never,
      ) as unknown as Promise<NodeJS.ReadableStream>);
      await new Promise<void>((resolve, reject) =>
        docker.modem.followProgress(probe, (e: Error | null) => (e ? reject(e) : resolve())),
      );
      const created = await docker.createContainer({
        ...spec,
        name: `spec-probe-${plan.deploymentId}`,
        Image: img,
      });
      try {
        const info = await created.inspect();
        expect(info.HostConfig.PortBindings).toEqual(spec.HostConfig?.PortBindings);
      } finally {
        await created.remove({ force: true });
        await docker.getImage(img).remove();
        // Docker made the named volumes the mounts refer to: they go too.
        for (const v of ['config', 'data'])
          await docker.getVolume(`megaraptor-${plan.deploymentId}-${v}`).remove();
      }
      expect(
        (await docker.listVolumes()).Volumes?.filter((v) => v.Name.includes(plan.deploymentId)) ?? [],
      ).toEqual([]);
    },
    120_000,
  );

  it.runIf(part.run)(
    'refuses in pre-flight published ports on an engine without a bridge, and creates nothing',
    async () => {
      const plan = await world.runner.plan('docker', {
        name: 'no-bridge',
        profile: 'rapid',
        overrides: SMALL,
        settings: {
          ...(await hostNetworkSettings(ref(), runtime.extraFiles)),
          network: 'bridge' as const,
          api: { bindAddress: '127.0.0.1', port: null },
          gui: { bindAddress: '127.0.0.1', port: null },
        },
      });
      const err = await appErrorOf(world.runner.deploy(plan));
      expect(err.code).toBe('DEPLOY_PREFLIGHT_FAILED');
      expect(err.message).toMatch(/no bridge network \(dockerd --bridge=none\).*host network/);
      expect(await leftovers(plan.deploymentId)).toMatchObject({
        containers: [],
        volumes: [],
        images: [],
        secrets: [],
      });
    },
    120_000,
  );

  it.runIf(part.run)(
    'refuses in pre-flight a taken port and creates nothing',
    async () => {
      const settings = await hostNetworkSettings(ref(), runtime.extraFiles);
      const { createServer } = await import('node:net');
      const busy = createServer();
      await new Promise<void>((r) => busy.listen((settings.gui as { port: number }).port, '127.0.0.1', r));
      try {
        const plan = await world.runner.plan('docker', {
          name: 'busy-port',
          profile: 'rapid',
          overrides: SMALL,
          settings,
        });
        const err = await appErrorOf(world.runner.deploy(plan));
        expect(err.code).toBe('DEPLOY_PREFLIGHT_FAILED');
        expect(err.message).toMatch(
          new RegExp(`127\\.0\\.0\\.1:${(settings.gui as { port: number }).port} is in use`),
        );
        expect(await leftovers(plan.deploymentId)).toMatchObject({
          containers: [],
          volumes: [],
          images: [],
          secrets: [],
        });
      } finally {
        busy.close();
      }
    },
    60_000,
  );

  it.runIf(part.run)(
    'rolls back everything when a step fails midway (a binary whose user add fails)',
    async () => {
      const broken = join(root, 'velociraptor-v0.77.2-linux-amd64-musl');
      await writeFile(
        broken,
        '#!/usr/bin/node\nprocess.stderr.write("user add refused\\n"); process.exit(3);\n',
        { mode: 0o755 },
      );
      const settings = {
        ...(await hostNetworkSettings(ref(), runtime.extraFiles)),
        image: {
          kind: 'local' as const,
          binary: { kind: 'file' as const, path: broken },
          extraFiles: runtime.extraFiles,
        },
      };
      const plan = await world.runner.plan('docker', {
        name: 'broken',
        profile: 'rapid',
        overrides: SMALL,
        settings,
      });
      expect(plan.warnings.join(' ')).toMatch(/carries no release signature.*SHA-256 [0-9a-f]{64}/);
      const err = await appErrorOf(world.runner.deploy(plan));
      expect(err.code).toBe('DEPLOY_FAILED');
      expect(err.message).toMatch(/Registering the API identity failed \(exit 3\): user add refused/);
      expect(err.message).toMatch(/Everything it had made was removed/);
      expect(await leftovers(plan.deploymentId)).toMatchObject({
        containers: [],
        volumes: [],
        images: [],
        secrets: [],
      });
      const journal = await world.journals.read(plan.deploymentId);
      expect(journal.state).toBe('rolled-back');
      expect(journal.resources.every((r) => r.state === 'removed')).toBe(true);
    },
    120_000,
  );

  it.runIf(part.run)('keeps ONE client per engine for the whole run', () => {
    expect(world.engines.size()).toBe(1);
  });
});
