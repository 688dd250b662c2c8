/** Bulk client actions against the in-process simulator (loopback gRPC + mTLS). */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../../../shared/contracts/clients';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { BulkActions, mapBounded } from './bulk';
import { ConnectionManager, DEMO_NAME } from '../connections/index';
import { InvestigationService } from './service';

let sim: RunningSimulator;
let manager: ConnectionManager;
let svc: InvestigationService;
let bulk: BulkActions;
const demo = { server: DEMO_NAME, org: '' };

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', speed: 20 });
  const dataDir = mkdtempSync(join(tmpdir(), 'mr-bulk-test-'));
  manager = new ConnectionManager({
    dataDir,
    secrets: () => Promise.resolve(null),
    demo: async () => ({
      yaml: await sim.mintApiConfig('demo-user', ['administrator']),
      stop: () => Promise.resolve(),
    }),
  });
  svc = new InvestigationService(manager, dataDir);
  bulk = new BulkActions(manager, 3);
  await manager.startDemo();
});

afterAll(async () => {
  await manager.dispose();
  await sim.stop();
});

describe('mapBounded', () => {
  it('keeps input order and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([5, 1, 4, 2, 3, 0], 2, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n * 3));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 40, 20, 30, 0]);
    expect(peak).toBe(2);
    expect(await mapBounded([], 4, () => Promise.resolve(1))).toEqual([]);
  });
});

describe('bulk actions on the simulator', () => {
  it('lists every client a search matches, ids and host names only', async () => {
    const all = await svc.searchClients(demo, 'all', 500);
    const m = await bulk.matching(demo, 'all', 10_000);
    expect(m.more).toBe(false);
    expect(m.clients.map((c) => c.clientId).sort()).toEqual(all.clients.map((c) => c.clientId).sort());
    const first = all.clients[0]!;
    expect(m.clients.find((c) => c.clientId === first.clientId)?.hostname).toBe(first.hostname);
    const capped = await bulk.matching(demo, 'all', 5);
    expect(capped.clients).toHaveLength(5);
    expect(capped.more).toBe(true);
    const windows = await bulk.matching(demo, 'label:Workstations', 10_000);
    expect(windows.clients.length).toBe(
      (await svc.searchClients(demo, 'label:Workstations', 500)).clients.length,
    );
  });

  it('finds clients by os:, a bare client id and a host-name prefix', async () => {
    const all = (await svc.searchClients(demo, 'all', 500)).clients;
    for (const os of ['windows', 'linux'] as const) {
      const want = all.filter((c) => c.os.toLowerCase() === os).map((c) => c.clientId);
      expect(want.length).toBeGreaterThan(0);
      const found = await svc.searchClients(demo, `os:${os}`, 500);
      expect(found.clients.map((c) => c.clientId).sort()).toEqual(want.sort());
      expect((await bulk.matching(demo, `os:${os}`, 10_000)).clients.map((c) => c.clientId).sort()).toEqual(
        want.sort(),
      );
    }
    const one = all[3]!;
    expect((await svc.searchClients(demo, one.clientId, 10)).clients.map((c) => c.clientId)).toEqual([
      one.clientId,
    ]);
    const prefix = one.hostname.slice(0, Math.max(3, one.hostname.length - 2));
    expect((await svc.searchClients(demo, prefix, 500)).clients.map((c) => c.clientId)).toContain(
      one.clientId,
    );
    await expect(svc.searchClients(demo, 'os:beos', 10)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('adds and removes a label on many clients, one outcome per client, and reports an unknown client', async () => {
    const ids = (await bulk.matching(demo, 'all', 7)).clients.map((c) => c.clientId);
    const added = await bulk.labelMany(
      demo,
      [...ids, ids[0]!, 'C.0000000000000bad'],
      ['Bulk-E2E', ' Triage '],
      'add',
    );
    expect(added.results).toHaveLength(ids.length + 1); // the duplicate id is labelled once
    for (const r of added.results.slice(0, ids.length)) {
      expect(r.ok).toBe(true);
      expect(r.labels).toEqual(expect.arrayContaining(['Bulk-E2E', 'Triage']));
    }
    const bad = added.results.at(-1)!;
    expect(bad).toMatchObject({ clientId: 'C.0000000000000bad', ok: false, labels: [] });
    expect(bad.message).toMatch(/has no client C\.0000000000000bad/);
    const found = await svc.searchClients(demo, 'label:Bulk-E2E', 500);
    expect(found.clients.map((c) => c.clientId).sort()).toEqual([...ids].sort());

    const removed = await bulk.labelMany(demo, ids, ['bulk-e2e'], 'remove');
    expect(
      removed.results.every((r) => r.ok && !r.labels.includes('Bulk-E2E') && r.labels.includes('Triage')),
    ).toBe(true);
    expect((await svc.searchClients(demo, 'label:Bulk-E2E', 500)).clients).toEqual([]);
    await expect(bulk.labelMany(demo, ids, ['  '], 'add')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
  });

  it('launches on several clients and reads every flow state at once', async () => {
    const ids = (await bulk.matching(demo, 'all', 3)).clients.map((c) => c.clientId);
    const launched = await svc.launch(demo, ids, ['Generic.Client.Info'], {}, { urgent: false });
    expect(launched.flows.map((f) => f.clientId)).toEqual(ids);
    const states = await bulk.flowStates(demo, [
      ...launched.flows,
      { clientId: ids[0]!, flowId: 'F.NOSUCHFLOW' },
    ]);
    expect(states.slice(0, ids.length).map((s) => s.flowId)).toEqual(launched.flows.map((f) => f.flowId));
    expect(
      states
        .slice(0, ids.length)
        .every((s) => ['WAITING', 'IN_PROGRESS', 'RUNNING', 'FINISHED'].includes(s.state)),
    ).toBe(true);
    expect(states.at(-1)).toMatchObject({ flowId: 'F.NOSUCHFLOW', state: 'UNKNOWN' });
    expect(states.at(-1)?.error).toBeTruthy();
  });

  it('reads a downloaded file by range: the same bytes as the download, paged, short at the end', async () => {
    const client = (await svc.searchClients(demo, 'all', 500)).clients.find(
      (c) => c.os === 'linux' && c.online,
    )!;
    await expect(bulk.readFileRange(demo, client.clientId, '/notes.txt', 0, 16)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    let last: DownloadProgress | undefined;
    for await (const p of svc.download(demo, client.clientId, '/notes.txt', new AbortController().signal))
      last = p;
    const file = readFileSync(last!.savedTo!);
    expect(createHash('sha256').update(file).digest('hex')).toBe(last!.sha256);

    const head = await bulk.readFileRange(demo, client.clientId, '/notes.txt', 0, 64);
    expect(head.size).toBe(file.length);
    expect(Buffer.from(head.data, 'base64')).toEqual(file.subarray(0, 64));
    expect(Buffer.from(head.data, 'base64').toString('latin1')).toMatch(/^Simulated content of \/notes\.txt/);

    const pages: Buffer[] = [];
    for (let off = 0; off < head.size; off += 1000)
      pages.push(
        Buffer.from(
          (await bulk.readFileRange(demo, client.clientId, '/notes.txt', off, 1000)).data,
          'base64',
        ),
      );
    expect(Buffer.concat(pages)).toEqual(file);

    const tail = await bulk.readFileRange(demo, client.clientId, '/notes.txt', file.length - 5, 4096);
    expect(Buffer.from(tail.data, 'base64')).toEqual(file.subarray(file.length - 5));
    expect((await bulk.readFileRange(demo, client.clientId, '/notes.txt', file.length + 10, 16)).data).toBe(
      '',
    );
  });
});
