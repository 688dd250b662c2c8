/**
 * Velociraptor's multi-frontend architecture on a REAL Docker engine (Debian's dockerd, host
 * networking on 127.0.0.1), the simulator as the image's binary (sim/minions.ts plays the master and
 * minion roles from the config): an enterprise deployment of a master and two minions — one container
 * per node from the same image and config, all on the one data volume — verified through the master's
 * API (Server.Internal.FrontendMetrics); an agent enrolled through a minion shows up in the master's
 * clients() with its host name; scale-out adds a third minion as a journaled operation; destroy leaves nothing.
 *
 * By hand with a real Velociraptor (MEGARAPTOR_REAL_VELOCIRAPTOR=/path to a linux-amd64 static build):
 * the same deployment with that binary in the image, and the real binary as the agent on this
 * machine (its client enrols through the second minion) — docs/real-server-conformance.md.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { SecretStore } from '../../credentials/secret-store';
import { clientIdOfKey } from '../../sim/agent';
import { localIdentity, parseClientConfig, runAgent } from '../../sim/index';
import { build, str, vql } from '../../velociraptor/vql/builder';
import { MINION_FIRST_TASK_NOTE } from '../frontends';
import { loadServerConfig } from '../server-identity';
import {
  bedServices,
  journalsLeft,
  labelledLeft,
  secretsLeft,
  startDockerBed,
  until,
  type DockerBed,
} from '../testing/docker-bed';
import { dockerEngine } from '../testing/docker-engine';
import { freePort, hostNetworkSettings, MULTI_HEALTH, SMALL } from '../testing/docker-world';
import { testServerBinary } from '../testing/ssh-world';
import type { ServiceWorld } from '../testing/service-world';
import type { SimRuntime } from '../testing/sim-runtime';
import { LABEL } from './spec';

const part = dockerEngine();
let bed: DockerBed;
let runtime: SimRuntime;
let root: string;
let world: ServiceWorld;
let secrets: SecretStore;
let docker: Docker;
let real = false;

beforeAll(async () => {
  if (!part.ready) return;
  bed = await startDockerBed('megaraptor-docker-multi-', async (r) => {
    const served = await testServerBinary(r.cli);
    real = served.real;
    return real ? served.data : readFile(r.launcher);
  });
  ({ runtime, root } = bed);
  ({ world, secrets, docker } = await bedServices(bed));
}, 240_000);

afterAll(async () => {
  if (!bed) return;
  await world?.close();
  await bed.close();
}, 120_000);

async function leftovers(id: string) {
  const { containers, volumes, networks, images } = await labelledLeft(docker, id);
  return {
    containers: containers.map((c) => c.Names[0]),
    volumes: volumes.map((v) => v.Name),
    networks: networks.map((n) => n.Name),
    images: images.map((i) => i.Id),
    secrets: await secretsLeft(secrets, id),
    journals: await journalsLeft(world.service.journals.dir, id),
  };
}

/**
 * An agent of this machine whose only frontend is `url`: the simulator's stand-in agent, or with a real
 * binary Velociraptor's own client (its writeback in the test folder; its id from the writeback's key).
 */
async function startAgent(
  client: Record<string, unknown>,
  url: string,
): Promise<{ clientId: () => Promise<string>; stop: () => void }> {
  if (!real) {
    const agent = await runAgent(
      parseClientConfig(stringify({ Client: { ...client, server_urls: [url] } })),
      localIdentity({ hostname: 'enrolled-via-minion' }),
      60_000,
    );
    return { clientId: () => Promise.resolve(agent.clientId), stop: () => agent.stop() };
  }
  const dir = await mkdtemp(join(root, 'agent-'));
  const writeback = join(dir, 'writeback.yaml');
  const configPath = join(dir, 'client.config.yaml');
  await writeFile(
    configPath,
    stringify({ Client: { ...client, server_urls: [url], writeback_linux: writeback } }),
    { mode: 0o600 },
  );
  const child = spawn(process.env.MEGARAPTOR_REAL_VELOCIRAPTOR!, ['--config', configPath, 'client', '-v'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  return {
    clientId: () =>
      until(
        "the real client's writeback",
        async () => {
          const text = await readFile(writeback, 'utf8').catch(() => '');
          const key = (parse(text) as { private_key?: string } | null)?.private_key;
          if (child.exitCode !== null) throw new Error(`the real client exited: ${log}`);
          return key ? clientIdOfKey(key) : undefined;
        },
        30_000,
      ),
    stop: () => child.kill('SIGTERM'),
  };
}

describe('multi-frontend Docker deployment (master + minions on one volume)', () => {
  it(`has ${part.name} (required in CI)`, () => part.check());

  it.runIf(part.run)(
    'deploys a master and two minions, enrols through a minion, scales out, destroys all',
    async () => {
      const s = world.service;
      const base = await hostNetworkSettings(bed.engine.ref, runtime.extraFiles);
      const ports = [await freePort(), await freePort()];
      const plan = await s.plan('docker', {
        name: 'docker-multi',
        profile: 'enterprise',
        overrides: SMALL,
        settings: {
          ...base,
          health: MULTI_HEALTH,
          minions: ports.map((port) => ({ bindAddress: '127.0.0.1', port })),
        },
      });
      const id = plan.deploymentId;
      // The review step names every node before it exists (host networking: no network of its own).
      expect(plan.steps.map((x) => x.id)).toEqual([
        'binary',
        'identity',
        'image',
        'volumes',
        'register',
        'container',
        'minions',
        'start',
        'verify-api',
        'verify-frontends',
        'verify-gui',
        'connect',
      ]);
      expect(plan.steps.find((x) => x.id === 'minions')!.resources.map((r) => r.id)).toEqual(
        ports.map((p) => `megaraptor-${id}-minion-${p}`),
      );

      const t0 = Date.now();
      const verifyLog: string[] = [];
      const out = await s.deploy(plan, {
        onEvent: (e) => {
          if (e.type === 'log' && e.step === 'verify-frontends') verifyLog.push(e.line);
        },
      });
      const seconds = (Date.now() - t0) / 1000;
      const took = (x: { startedAt?: string; endedAt?: string }) =>
        ((Date.parse(x.endedAt ?? '') - Date.parse(x.startedAt ?? '')) / 1000).toFixed(1);
      console.log(
        `${real ? 'REAL Velociraptor' : 'simulator'}: master + 2 minions deployed and verified in ${seconds.toFixed(1)} s (${out.journal.steps.map((x) => `${x.id} ${took(x)} s`).join(', ')})`,
      );
      expect(out.journal.state).toBe('deployed');
      // The responder is told when an agent enrolling through a minion gets its first task.
      expect(verifyLog).toContain(MINION_FIRST_TASK_NOTE);
      const nodes = ports.map((p) => `localhost-${p}`);
      expect(out.journal.outputs.minionNodes).toBe(nodes.join(','));
      const verify = out.journal.steps.find((x) => x.id === 'verify-frontends');
      expect(verify?.state).toBe('done');

      // One container per node, same image, same volumes, labelled with the deployment.
      const master = await docker.getContainer(`megaraptor-${id}-server`).inspect();
      for (const [i, p] of ports.entries()) {
        const m = await docker.getContainer(`megaraptor-${id}-minion-${p}`).inspect();
        expect(m.Image).toBe(master.Image);
        expect(m.Config.Labels).toMatchObject({ [LABEL.deployment]: id, [LABEL.role]: 'minion' });
        expect(m.Config.Cmd).toEqual([
          '/usr/local/bin/velociraptor',
          '--config',
          '/etc/velociraptor/server.config.yaml',
          'frontend',
          '--minion',
          '--node',
          nodes[i],
          '-v',
        ]);
        const mounts = (c: Docker.ContainerInspectInfo) =>
          c.Mounts.map((x) => `${x.Name}:${x.Destination}:${x.RW}`).sort();
        expect(mounts(m)).toEqual(mounts(master));
        expect(m.State.Health?.Status).toBe('healthy');
        expect(m.HostConfig).toMatchObject({ ReadonlyRootfs: true, CapDrop: ['ALL'], NetworkMode: 'host' });
      }
      // Agents' server_urls list every frontend; the config carries the minions.
      const config = parse(await loadServerConfig(secrets, id)) as {
        Client: { server_urls: string[] };
        ExtraFrontends: unknown[];
      };
      expect(config.Client.server_urls).toEqual([
        `https://localhost:${(base.frontend as { port: number }).port}/`,
        ...ports.map((p) => `https://localhost:${p}/`),
      ]);
      expect(config.ExtraFrontends).toHaveLength(2);

      // An agent whose only frontend is the second minion enrols; the master's API lists it.
      await world.connections.service({ server: 'docker-multi', org: '' });
      const conn = world.connections.registry.connection('docker-multi');
      const agent = await startAgent(config.Client, `https://127.0.0.1:${ports[1]}/`);
      try {
        const clientId = await agent.clientId();
        // The simulator's agent reports its host name at enrolment. A real client reports it when it
        // ran its interrogation, the first task the master queues: a minion serves it once the master's
        // client records snapshot names the client (Frontend.resources.client_info_write_time, 15 s in
        // our config; 29 s to the task on loopback, docs/real-server-conformance.md).
        const t0 = Date.now();
        const rows = await until(
          'the agent in the master, interrogated',
          async () => {
            const r = await conn.queryRows(
              build(
                vql`SELECT client_id, os_info.hostname AS Host, first_seen_at > 0 AS Seen FROM clients(client_id=${str(clientId)})`,
              ),
            );
            const row = r.rows[0] as { Host?: string; Seen?: boolean } | undefined;
            return row?.Host ? r.rows : undefined;
          },
          real ? 120_000 : 60_000,
        );
        expect(rows).toEqual([
          { client_id: clientId, Host: real ? expect.any(String) : 'enrolled-via-minion', Seen: true },
        ]);
        console.log(`agent's host name in the master after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        console.log(`agent ${clientId} enrolled through minion localhost-${ports[1]}, listed by the master`);
      } finally {
        agent.stop();
      }

      const health = await s.status(id);
      expect(health.health?.ok).toBe(true);
      expect(health.health?.detail).toContain(`minion ${ports[0]}: running (healthy)`);

      // Scale-out: what the approval shows, then the operation.
      const third = await freePort();
      const preview = await s.scaleOutPlan(id, { port: third });
      expect(preview).toMatchObject({ node: `localhost-${third}` });
      expect(preview.resources.map((r) => [r.kind, r.id])).toEqual([
        ['container', `megaraptor-${id}-minion-${third}`],
      ]);
      const t1 = Date.now();
      const grown = await s.scaleOut(id, { port: third });
      console.log(`scale-out (third minion, verified) in ${((Date.now() - t1) / 1000).toFixed(1)} s`);
      expect(grown.operation).toMatchObject({
        kind: 'scale-out',
        state: 'done',
        steps: ['scale-out-config', 'scale-out-minion', 'scale-out-verify-frontends'],
      });
      expect((grown.journal.settings as { minions: unknown[] }).minions).toHaveLength(3);
      const after = parse(await loadServerConfig(secrets, id)) as { Client: { server_urls: string[] } };
      expect(after.Client.server_urls.at(-1)).toBe(`https://localhost:${third}/`);
      expect((await s.status(id)).health?.ok).toBe(true);
      // A taken port is refused before anything happens.
      await expect(s.scaleOut(id, { port: third })).rejects.toThrow(/Port \d+ is used twice/);

      await s.destroy(id, { exportTo: null });
      expect(await leftovers(id)).toEqual({
        containers: [],
        volumes: [],
        networks: [],
        images: [],
        secrets: [],
        journals: [],
      });
    },
    400_000,
  );
});
