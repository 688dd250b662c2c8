/** The investigation core against the in-process simulator (loopback gRPC + mTLS). */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStep } from '../../../shared/contracts/connections';
import type { RunEvent } from '../../../shared/contracts/vql';
import { type AppError } from '../../../shared/errors';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { ConnectionManager, DEMO_NAME, testConnection } from '../connections/index';
import { InvestigationService } from './service';

let sim: RunningSimulator;
let manager: ConnectionManager;
let svc: InvestigationService;
const demo = { server: DEMO_NAME, org: '' };

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1' });
  const dataDir = mkdtempSync(join(tmpdir(), 'mr-inv-test-'));
  manager = new ConnectionManager({
    dataDir,
    secrets: () => Promise.resolve(null),
    demo: async () => ({
      yaml: await sim.mintApiConfig('demo-user', ['administrator']),
      stop: () => Promise.resolve(),
    }),
  });
  svc = new InvestigationService(manager, dataDir);
  await manager.startDemo();
});

afterAll(async () => {
  await manager.dispose();
  await sim.stop();
});

async function collect(gen: AsyncGenerator<RunEvent>): Promise<{ events: RunEvent[]; error?: AppError }> {
  const events: RunEvent[] = [];
  try {
    for await (const e of gen) events.push(e);
    return { events };
  } catch (e) {
    return { events, error: e as AppError };
  }
}

describe('investigation service on the simulator', () => {
  it('starts the demo once and makes it the active server', async () => {
    const again = await manager.startDemo();
    expect(again.storage).toBe('demo');
    const list = await manager.list();
    expect(list.connections.map((c) => c.name)).toEqual([DEMO_NAME]);
    expect(list.active).toEqual({ server: DEMO_NAME, org: '' });
  });

  it('refuses to keep a secret without a keychain, but imports for the session', async () => {
    const yaml = await sim.mintApiConfig('reader', ['reader']);
    await expect(manager.import({ name: 'kept', yaml, storage: 'keychain' })).rejects.toMatchObject({
      code: 'KEYCHAIN_UNAVAILABLE',
    });
    const info = await manager.import({ name: 'session one', yaml, storage: 'session' });
    expect(info).toMatchObject({ storage: 'session', user: 'reader' });
    await expect(
      manager.import({ name: 'bad', yaml: 'ca_certificate: [', storage: 'session' }),
    ).rejects.toMatchObject({ code: 'CONFIG_NOT_YAML' });
  });

  it('passes every connection test step, and names the failing one for an unknown user', async () => {
    const steps: TestStep[] = [];
    for await (const s of testConnection(manager.summary(DEMO_NAME), manager.registry.config(DEMO_NAME)))
      steps.push(s);
    expect(steps.filter((s) => s.status !== 'running').map((s) => `${s.step}:${s.status}`)).toEqual([
      'config:ok',
      'reachable:ok',
      'tls:ok',
      'identity:ok',
      'permissions:ok',
    ]);

    await manager.import({
      name: 'ghost',
      yaml: await sim.mintApiConfig('ghost-user', null),
      storage: 'session',
    });
    const ghost: TestStep[] = [];
    for await (const s of testConnection(manager.summary('ghost'), manager.registry.config('ghost')))
      ghost.push(s);
    const failed = ghost.find((s) => s.status === 'failed');
    expect(failed?.step).toMatch(/tls|identity/);
    expect(failed?.hint).toBeTruthy();
  });

  it('searches clients with Velociraptor syntax and converts last-seen units', async () => {
    const all = await svc.searchClients(demo, 'all', 500);
    expect(all.clients.length).toBeGreaterThanOrEqual(50);
    const now = Date.now();
    for (const c of all.clients) {
      expect(c.lastSeenMs).toBeLessThanOrEqual(now + 60_000);
      expect(c.lastSeenMs).toBeGreaterThan(Date.UTC(2000, 0, 1));
      expect(c.firstSeenMs).toBeGreaterThan(Date.UTC(2000, 0, 1));
    }
    expect(all.clients.some((c) => c.online)).toBe(true);
    const label = all.clients.find((c) => c.labels.length)?.labels[0];
    if (label) {
      const byLabel = await svc.searchClients(demo, `label:${label}`, 500);
      expect(byLabel.clients.length).toBeGreaterThan(0);
      expect(
        byLabel.clients.every((c) => c.labels.map((l) => l.toLowerCase()).includes(label.toLowerCase())),
      ).toBe(true);
    }
  });

  it('streams a VQL cell into a result set and reports a VQL error after the logs', async () => {
    const ok = await collect(
      svc.run(demo, 'SELECT client_id FROM clients()', 60, 'o', new AbortController().signal),
    );
    expect(ok.error).toBeUndefined();
    const started = ok.events.find((e) => e.type === 'started');
    const done = ok.events.find((e) => e.type === 'done');
    expect(started && done && done.type === 'done' && done.total).toBeGreaterThanOrEqual(50);
    const set = svc.results.get(started && started.type === 'started' ? started.resultId : '');
    expect(set.window(0, 5, { sort: null, filter: '' }).rows[0]?.[0]).toMatch(/^C\./);
    // The first progress event with rows carries their text; the last one before done has the final count.
    const progress = ok.events.filter((e) => e.type === 'rows');
    expect(progress.find((e) => e.total > 0)?.first?.[0]?.[0]).toMatch(/^C\./);
    expect(progress.at(-1)?.total).toBe(done?.type === 'done' ? done.total : -1);

    const bad = await collect(
      svc.run(demo, 'SELECT * FROM no_such_plugin()', 60, 'o', new AbortController().signal),
    );
    expect(bad.error?.code).toBe('VQL_ERROR');
    expect(bad.error?.message).toMatch(/no_such_plugin/);
    expect(bad.events.some((e) => e.type === 'rows' && e.logs?.some((l) => l.problem))).toBe(true);
  });

  it('estimates a hunt scope and creates a paused hunt that starts', async () => {
    const all = (await svc.searchClients(demo, 'all', 500)).clients;
    const est = await svc.estimate(demo, { includeLabels: [], excludeLabels: [], os: 'windows' });
    expect(est.count).toBe(all.filter((c) => c.os.toLowerCase() === 'windows').length);
    const { huntId } = await svc.createHunt(demo, {
      description: 'unit',
      artifacts: ['Generic.Client.Info'],
      parameters: {},
      scope: { includeLabels: [], excludeLabels: [], os: 'linux' },
      expiresHours: 1,
      resources: { urgent: false },
      paused: true,
    });
    expect((await svc.hunt(demo, huntId)).state).toBe('PAUSED');
    expect((await svc.updateHunt(demo, huntId, 'start')).state).toBe('RUNNING');
  });

  it('launch refuses, once, a parameter the server does not declare; nothing is collected', async () => {
    const { clients } = await svc.searchClients(demo, 'all', 500);
    const linux = clients.filter((c) => c.os === 'linux').slice(0, 3);
    const before = sim.receivedQueries().length;
    const err = await svc
      .launch(
        demo,
        linux.map((c) => c.clientId),
        ['Linux.Search.FileFinder'],
        { 'Linux.Search.FileFinder': { Glob: '/etc/*' } },
        { urgent: false },
      )
      .catch((e: unknown) => e as AppError);
    expect(err).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect((err as AppError).message).toMatch(/does not declare parameter Glob.*SearchFilesGlob/);
    const sent = sim
      .receivedQueries()
      .slice(before)
      .flatMap((q) => q.queries.map((x) => x.VQL));
    expect(sent.filter((q) => q.includes('collect_client('))).toEqual([]);
  });

  it('offers plugin, function and artifact completions from the server', async () => {
    const items = await svc.completions(demo);
    expect(items.find((i) => i.name === 'clients' && i.kind === 'plugin')?.args.map((a) => a.name)).toContain(
      'search',
    );
    expect(items.some((i) => i.kind === 'function' && i.name === 'collect_client')).toBe(true);
    expect(items.some((i) => i.kind === 'artifact' && i.name === 'Windows.System.Pslist')).toBe(true);
  });
});
