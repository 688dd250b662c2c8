/**
 * Operations on a Docker deployment on a REAL engine (Debian's dockerd, host networking on
 * 127.0.0.1), with the simulator as the image's binary:
 * - renewal with a fake clock: deployed "6.5 days ago" with 7-day certificates; renewed under the
 *   keychain's CA keeping the keys, the config put into its volume over the Docker API, the container
 *   restarted — and over mTLS the server serves the renewed certificate; restart, logs and health too;
 * - self-destruction without the app: a rapid deployment's timer container (Velociraptor's own query
 *   command on the engine's socket) — moved by "extend" — removes the server and its volumes at its
 *   time; then the app's reaper finds the server gone and removes the rest: nothing is left;
 * - a legal hold removes that timer container: the server outlives its time on the engine; lifting the
 *   hold after its time arms a new timer a grace period later (seconds here, an hour in the app), and
 *   the engine destroys the server then, not before.
 */
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecretStore } from '../../credentials/secret-store';
import { build, vql } from '../../velociraptor/vql/builder';
import { identitySecrets } from '../server-identity';
import {
  bedServices,
  journalsLeft,
  secretsLeft,
  startDockerBed,
  until,
  type DockerBed,
} from '../testing/docker-bed';
import { dockerEngine } from '../testing/docker-engine';
import { hostNetworkSettings, SMALL } from '../testing/docker-world';
import { servedCertificate } from '../testing/served-certificate';
import type { ServiceWorld } from '../testing/service-world';
import type { SimRuntime } from '../testing/sim-runtime';
import { expiryContainerName } from './expiry';
import { LABEL } from './spec';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** The grace after a lifted hold in these tests (the app's is an hour). */
const LIFT_GRACE = 25_000;

const part = dockerEngine();
let bed: DockerBed;
let runtime: SimRuntime;
let world: ServiceWorld;
let secrets: SecretStore;
let docker: Docker;

beforeAll(async () => {
  if (!part.ready) return;
  bed = await startDockerBed('megaraptor-docker-ops-');
  runtime = bed.runtime;
  ({ world, secrets, docker } = await bedServices(bed, { liftGraceMs: LIFT_GRACE }));
}, 240_000);

afterAll(async () => {
  if (!bed) return;
  await world?.close();
  await bed.close();
}, 120_000);

async function identity(id: string) {
  const refs = identitySecrets(id);
  const ca = JSON.parse((await secrets.get(refs.ca.id))!) as { certificatePem: string };
  const api = JSON.parse((await secrets.get(refs.apiIdentity.id))!) as {
    certificatePem: string;
    privateKeyPem: string;
  };
  return { ca: ca.certificatePem, cert: api.certificatePem, key: api.privateKeyPem };
}

async function leftovers(id: string) {
  const byLabel = { label: [`${LABEL.deployment}=${id}`] };
  const containers = (await docker.listContainers({ all: true })).filter((c) =>
    c.Names.some((n) => n.includes(id)),
  );
  const volumes = ((await docker.listVolumes()).Volumes ?? []).filter((v) => v.Name.includes(id));
  const images = await docker.listImages({ filters: byLabel });
  return {
    containers: containers.map((c) => c.Names[0]),
    volumes: volumes.map((v) => v.Name),
    images: images.map((i) => i.Id),
    secrets: await secretsLeft(secrets, id),
    journals: await journalsLeft(world.service.journals.dir, id),
  };
}

describe('operations on a Docker deployment', () => {
  it(`has ${part.name} (required in CI)`, () => part.check());

  it.runIf(part.run)(
    'renews the certificates through the Docker API; the server then serves the renewed one',
    async () => {
      const s = world.service;
      world.shift(-6.5 * DAY);
      const plan = await s.plan('docker', {
        name: 'docker-renew',
        profile: 'standard',
        overrides: { ...SMALL, certificates: { caDays: 60, serverDays: 7, apiDays: 7 } },
        settings: await hostNetworkSettings(bed.engine.ref, runtime.extraFiles),
      });
      const out = await s.deploy(plan);
      world.shift(0);
      const id = plan.deploymentId;
      const endpoint = String(out.journal.outputs.apiEndpoint);
      const old = await servedCertificate(endpoint, await identity(id));
      expect((await s.status(id)).deployment.certificates.find((c) => c.role === 'frontend')?.level).toBe(
        'within-1d',
      );

      const renewed = await s.renewCertificates(id);
      expect(renewed.operation.steps).toEqual([
        'renew-certificates-issue',
        'renew-certificates-deliver',
        'renew-certificates-restart',
        'renew-certificates-verify-api',
        'renew-certificates-verify-gui',
        'renew-certificates-connection',
        'renew-certificates-confirm',
      ]);
      const now = await servedCertificate(endpoint, await identity(id));
      expect(now.publicKey).toBe(old.publicKey);
      expect(Math.abs(now.validTo.getTime() - (Date.now() + 7 * DAY))).toBeLessThan(10 * 60_000);
      expect(Date.parse(String(renewed.journal.outputs.frontendCertNotAfter))).toBe(now.validTo.getTime());
      // The one-shot delivery container came and went, journaled.
      const delivery = renewed.journal.resources.find((r) => r.id === `megaraptor-${id}-init`);
      expect(delivery?.state).toBe('removed');
      expect(await leftovers(id)).toMatchObject({ containers: [`/megaraptor-${id}-server`] });

      // Through the app's connection, with the renewed identity.
      await world.connections.service({ server: 'docker-renew', org: '' });
      const conn = world.connections.registry.connection('docker-renew');
      expect((await conn.queryRows(build(vql`SELECT whoami() AS User FROM scope()`))).rows).toEqual([
        { User: 'megaraptor-app' },
      ]);

      const health = await s.status(id);
      expect(health.health).toMatchObject({ ok: true, state: 'running (healthy)' });
      const restarted = await s.restart(id);
      expect(restarted.operation.state).toBe('done');
      expect((await s.logs(id, 50)).length).toBeGreaterThan(0);

      await s.destroy(id, { exportTo: null });
      expect(await leftovers(id)).toEqual({
        containers: [],
        volumes: [],
        images: [],
        secrets: [],
        journals: [],
      });
    },
    400_000,
  );

  it.runIf(part.run)(
    'destroys itself at its time on the engine (extend moves the timer); the reaper leaves nothing',
    async () => {
      const s = world.service;
      // The timer's time comes from the deploy step's clock: an hour-long life that started 59 min 20 s ago.
      world.shift(-(HOUR - 40_000));
      const plan = await s.plan('docker', {
        name: 'docker-expiry',
        profile: 'rapid',
        overrides: { ...SMALL, autoDestroyHours: 1 },
        settings: await hostNetworkSettings(bed.engine.ref, runtime.extraFiles),
      });
      expect(plan.warnings.join(' ')).toMatch(/timer container on the engine gets the engine's socket/);
      const out = await s.deploy(plan);
      world.shift(0);
      const id = plan.deploymentId;
      const timer = docker.getContainer(expiryContainerName(id));
      const epochOf = async () =>
        Number(
          (await timer.inspect()).Config.Cmd.find((a) => a.startsWith('DestroyAtEpoch='))!.split('=')[1],
        );
      const first = await epochOf();
      expect(first * 1000 - Date.now()).toBeLessThan(45_000);
      expect((await timer.inspect()).HostConfig).toMatchObject({ NetworkMode: 'none', CapDrop: ['ALL'] });

      // Extend by a minute: the timer on the engine moves, and so does the journal.
      const t0 = Date.now();
      const ext = await s.extend(id, 1 / 60);
      const moved = await epochOf();
      expect(moved * 1000).toBeGreaterThanOrEqual(Math.floor((t0 + 60_000) / 1000) * 1000 - 1000);
      expect(Math.abs(Date.parse(ext.journal.autoDestroyAt!) - moved * 1000)).toBeLessThan(2000);

      // The old time passes: the server still runs.
      await new Promise((r) => setTimeout(r, Math.max(0, first * 1000 - Date.now() + 3000)));
      expect((await s.status(id)).health?.ok).toBe(true);

      // The new time comes: the engine removes the server, its volumes and the timer — no app involved.
      await until(
        'the on-engine destruction',
        async () => {
          const l = await leftovers(id);
          return l.containers.length === 0 && l.volumes.length === 0 ? l : undefined;
        },
        120_000,
      );
      const left = await leftovers(id);
      // What the engine cannot remove itself: the image its timer ran from; the journal and keychain.
      expect(left.images).toHaveLength(1);
      expect((await s.status(id)).health?.state).toBe('missing');

      // The engine's timer counts whole seconds, so it can fire up to a second before the journal's
      // time; the reaper takes a deployment only once that time has passed.
      await new Promise((r) =>
        setTimeout(r, Math.max(0, Date.parse(ext.journal.autoDestroyAt!) - Date.now() + 1000)),
      );
      const reaped = await s.reap();
      expect(reaped).toEqual([
        expect.objectContaining({
          id,
          outcome: 'destroyed',
          message: expect.stringMatching(/no longer answered/),
        }),
      ]);
      expect(await leftovers(id)).toEqual({
        containers: [],
        volumes: [],
        images: [],
        secrets: [],
        journals: [],
      });
      expect((await world.connections.list()).connections.map((c) => c.name)).not.toContain('docker-expiry');
      expect(out.journal.state).toBe('deployed');
    },
    400_000,
  );

  it.runIf(part.run)(
    'a legal hold removes the timer container: the server outlives its time; lifted, the engine destroys it at the re-armed time',
    async () => {
      const s = world.service;
      world.shift(-(HOUR - 40_000));
      const plan = await s.plan('docker', {
        name: 'docker-held',
        profile: 'rapid',
        overrides: { ...SMALL, autoDestroyHours: 1 },
        settings: await hostNetworkSettings(bed.engine.ref, runtime.extraFiles),
      });
      await s.deploy(plan);
      world.shift(0);
      const id = plan.deploymentId;
      const timerName = expiryContainerName(id);
      const epochOf = async () =>
        Number(
          (await docker.getContainer(timerName).inspect()).Config.Cmd.find((a) =>
            a.startsWith('DestroyAtEpoch='),
          )!.split('=')[1],
        ) * 1000;
      const first = await epochOf();
      expect(first - Date.now()).toBeLessThan(45_000);

      const messages: string[] = [];
      const held = await s.setLegalHold(id, true, 'case 2031-107, preservation letter', {
        onEvent: (e) => {
          if (e.type === 'progress' && e.message) messages.push(e.message);
        },
      });
      expect(messages).toContain("Disarming the docker target's timer");
      expect(held.journal.legalHold).toMatchObject({ targetTimer: 'disarmed' });
      expect(held.journal.resources.find((r) => r.id === timerName)?.state).toBe('removed');
      expect((await leftovers(id)).containers).toEqual([`/megaraptor-${id}-server`]);

      // Its time passes: nothing on the engine destroys it, the reaper keeps it.
      await new Promise((r) => setTimeout(r, Math.max(0, first - Date.now() + 5000)));
      expect((await s.status(id)).health?.ok).toBe(true);
      // Only this test's deployment: another one of this file may be due as well.
      const mine = (r: { id: string }) => r.id === id;
      expect((await s.reap({ export: false })).filter(mine).map((r) => r.outcome)).toEqual(['held']);
      expect(noticesOfHeld(await s.notices(), id)).toMatch(/timer is disarmed/);

      // Lifted after its time: a new timer for the grace period from now, and the journal agrees.
      const t0 = Date.now();
      const lifted = await s.setLegalHold(id, false);
      const rearmed = await epochOf();
      expect(rearmed).toBeGreaterThanOrEqual(Math.floor((t0 + LIFT_GRACE) / 1000) * 1000 - 1000);
      expect(rearmed - t0).toBeLessThan(LIFT_GRACE + 5000);
      expect(Math.abs(Date.parse(lifted.journal.autoDestroyAt!) - rearmed)).toBeLessThan(1000);
      expect(lifted.journal.legalHold).toBeNull();

      // Not before its time...
      await new Promise((r) => setTimeout(r, Math.max(0, rearmed - Date.now() - 4000)));
      expect((await leftovers(id)).containers).toHaveLength(2);
      // ...but at it, by the engine alone.
      const gone = await until(
        'the on-engine destruction after the lift',
        async () => {
          const l = await leftovers(id);
          return l.containers.length === 0 && l.volumes.length === 0 ? Date.now() : undefined;
        },
        120_000,
      );
      expect(gone).toBeGreaterThanOrEqual(rearmed - 1000);
      const reaped = await s.reap({ export: false });
      expect(reaped.filter(mine).map((r) => [r.id, r.outcome])).toEqual([[id, 'destroyed']]);
      expect(await leftovers(id)).toEqual({
        containers: [],
        volumes: [],
        images: [],
        secrets: [],
        journals: [],
      });
    },
    400_000,
  );
});

function noticesOfHeld(notices: Array<{ deploymentId: string; message: string }>, id: string): string {
  return notices
    .filter((n) => n.deploymentId === id)
    .map((n) => n.message)
    .join('\n');
}
