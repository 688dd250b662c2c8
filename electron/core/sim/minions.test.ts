/**
 * The simulator's multi-frontend mode: a master and a minion (`frontend --minion --node`, the real
 * binary's command line) from ONE server config sharing the datastore folder. The master's API
 * reports both in Server.Internal.FrontendMetrics with the real rows' shape (Node, Metrics.NodeName),
 * and an agent that enrols through the minion appears in the master's clients().
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { writeServerConfig } from '../pki/config-files';
import { testChain } from '../pki/testing/fixtures';
import { createApiClient } from '../velociraptor/client';
import { loadApiConfig } from '../velociraptor/config/api-config';
import { VelociraptorConnection } from '../velociraptor/connection';
import { build, str, vql } from '../velociraptor/vql/builder';
import { localIdentity, parseClientConfig, runAgent } from './agent';
import { FRONTEND_METRICS } from './minions';
import { startSimulator, type RunningSimulator } from './index';
import { runVelociraptorCommandLine, type VrIO } from './velociraptor-cli';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-minion-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function io(): VrIO & { err: () => string; stop: () => void } {
  const stderr = new PassThrough();
  let err = '';
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  let stop: (s: string) => void = () => undefined;
  const stopped = new Promise<string>((r) => (stop = r));
  return {
    stdout: new PassThrough(),
    stderr,
    stdin: new PassThrough(),
    cwd: dir,
    waitForSignal: () => stopped,
    err: () => err,
    stop: () => stop('SIGTERM'),
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(probe: () => Promise<T | undefined> | T | undefined, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('simulator multi-frontend (master + minion from one config)', () => {
  it('serves agents on the minion, reports it through the master and enrols through it', async () => {
    const chain = await testChain();
    const minionPort = await freePort();
    const written = writeServerConfig({
      caCertificatePem: chain.ca.certificatePem,
      frontend: chain.frontend,
      gateway: chain.gateway,
      frontendHostname: 'localhost',
      placement: 'host',
      ports: { frontend: 1, api: 2, gui: 3 },
      admins: [{ name: 'admin', password: 'correct horse battery' }],
      datastoreDir: join(dir, 'datastore'),
    });
    const config = written.config as Record<string, Record<string, unknown> | unknown[]>;
    for (const k of ['API', 'GUI', 'Frontend']) (config[k] as Record<string, unknown>).bind_port = 0;
    config.ExtraFrontends = [{ hostname: '127.0.0.1', bind_address: '127.0.0.1', bind_port: minionPort }];
    const text = stringify(config);
    const path = join(dir, 'server.config.yaml');
    await writeFile(path, text);
    const node = `127.0.0.1-${minionPort}`;

    // A node name the config does not list: refused as Velociraptor does.
    const stray = io();
    expect(
      await runVelociraptorCommandLine(['--config', path, 'frontend', '--minion', '--node', 'x-1'], stray),
    ).toBe(1);
    expect(stray.err()).toMatch(/Frontend x-1 not found! \(available frontends: 127\.0\.0\.1:\d+\)/);

    const sim: RunningSimulator = await startSimulator({
      serverConfig: text,
      datastoreDir: join(dir, 'datastore'),
      caKeyPem: chain.ca.privateKeyPem,
      metricsIntervalMs: 200,
    });
    const m = io();
    const minion = runVelociraptorCommandLine(['--config', path, 'frontend', '--minion', '--node', node], m);
    const apiConfig = loadApiConfig(await sim.mintApiConfig('bot', ['api', 'investigator']));
    const client = createApiClient(apiConfig);
    try {
      await until(() => (/Frontend is ready .*:(\d+)\//.test(m.err()) ? true : undefined), 'the minion');
      expect(m.err()).toContain(`minion ${node}`);
      expect(m.err()).not.toMatch(/gRPC API|GUI is ready/);
      const conn = new VelociraptorConnection('t', '', client, apiConfig);

      const rows: Array<Record<string, unknown>> = [];
      const q = build(vql`SELECT Node, Metrics FROM watch_monitoring(artifact=${str(FRONTEND_METRICS)})`);
      for await (const ev of conn.query(q, { maxWait: 1 })) {
        if (ev.type === 'rows') rows.push(...(ev.rows as Array<Record<string, unknown>>));
        const nodes = new Set(rows.map((r) => r.Node));
        if (nodes.has('master') && nodes.has(node)) break;
      }
      const minionRow = rows.find((r) => r.Node === node)!;
      expect(Object.keys(minionRow.Metrics as object)).toEqual([
        'Timestamp',
        'ProcessCpuNanoSecondsTotal',
        'CpuLoadPercent',
        'ClientCommsCurrentConnections',
        'ProcessResidentMemoryBytes',
        'NodeName',
      ]);
      expect((minionRow.Metrics as { NodeName: string }).NodeName).toBe(node);

      // An agent whose first frontend is down enrols through the minion; the master lists it.
      const agentConfig = parseClientConfig(
        stringify({
          Client: {
            server_urls: [`https://127.0.0.1:${await freePort()}/`, `https://127.0.0.1:${minionPort}/`],
            ca_certificate: chain.ca.certificatePem,
            nonce: (config.Client as Record<string, unknown>).nonce,
          },
        }),
      );
      const agent = await runAgent(agentConfig, localIdentity({ hostname: 'via-minion' }), 60_000);
      try {
        const listed = await until(async () => {
          const r = await conn.queryRows(
            build(vql`SELECT client_id, os_info.hostname AS Host FROM clients(search='host:via-minion')`),
          );
          return r.rows.length ? r.rows : undefined;
        }, 'the agent in the master');
        expect(listed).toEqual([{ client_id: agent.clientId, Host: 'via-minion' }]);
      } finally {
        agent.stop();
      }
    } finally {
      client.close();
      m.stop();
      expect(await minion).toBe(0);
      await sim.stop();
    }
  }, 30_000);
});
