/**
 * The client page's and hunt dashboard's actions against the in-process simulator (loopback gRPC +
 * mTLS): interrogate, quarantine and release with the plan shown first, delete a flow and a client,
 * the refusal an identity without the permission gets; a hunt's flows with their end times (the
 * dashboard's chart) and its zip export.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../../../shared/contracts/clients';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { ConnectionManager, DEMO_NAME } from '../connections/index';
import { InvestigationService } from './service';

let sim: RunningSimulator;
let manager: ConnectionManager;
let svc: InvestigationService;
const demo = { server: DEMO_NAME, org: '' };

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', speed: 20 });
  const dataDir = mkdtempSync(join(tmpdir(), 'mr-client-actions-'));
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

async function clientOf(os: string) {
  const c = (await svc.searchClients(demo, `os:${os}`, 50)).clients.find((x) => x.online);
  if (!c) throw new Error(`the demo has no online ${os} client`);
  return c;
}

describe('client actions on the simulator', () => {
  it('interrogates: a Generic.Client.Info flow appears on the client', async () => {
    const c = await clientOf('linux');
    const { flowId } = await svc.interrogate(demo, c.clientId);
    const flows = await svc.flows(demo, c.clientId, 50);
    expect(flows.find((f) => f.flowId === flowId)?.artifacts).toEqual(['Generic.Client.Info']);
  });

  it('shows the quarantine plan, then does exactly that: the OS artifact, the label, and back', async () => {
    const c = await clientOf('windows');
    const plan = await svc.quarantinePlan(demo, c.clientId, false, 'IR-7: stay off the network');
    expect(plan).toMatchObject({
      os: 'windows',
      artifact: 'Windows.Remediation.Quarantine',
      parameters: { MessageBox: 'IR-7: stay off the network' },
      label: { op: 'set', label: 'Quarantine' },
    });
    expect(plan.queries.map((q) => q.vql.split('(')[0])).toEqual(['SELECT collect_client', 'SELECT label']);
    // The message travels in env, never in the query text.
    expect(plan.queries[0]!.vql).not.toContain('IR-7');
    const done = await svc.quarantine(demo, c.clientId, false, 'IR-7: stay off the network');
    expect(done.artifact).toBe('Windows.Remediation.Quarantine');
    expect((await svc.client(demo, c.clientId)).labels).toContain('Quarantine');
    expect((await svc.searchClients(demo, 'label:Quarantine', 50)).clients.map((x) => x.clientId)).toContain(
      c.clientId,
    );

    const release = await svc.quarantinePlan(demo, c.clientId, true);
    expect(release).toMatchObject({ parameters: { RemovePolicy: 'Y' }, label: { op: 'remove' } });
    await svc.quarantine(demo, c.clientId, true);
    expect((await svc.client(demo, c.clientId)).labels).not.toContain('Quarantine');
  });

  it('deletes one flow, then the whole client; an unknown one is NOT_FOUND', async () => {
    const c = await clientOf('linux');
    const { flowId } = await svc.interrogate(demo, c.clientId);
    const gone = await svc.deleteFlow(demo, c.clientId, flowId);
    expect(gone.removed).toBeGreaterThan(0);
    expect(gone.failed).toEqual([]);
    expect((await svc.flows(demo, c.clientId, 50)).map((f) => f.flowId)).not.toContain(flowId);
    await expect(svc.deleteFlow(demo, c.clientId, flowId)).rejects.toMatchObject({ code: 'NOT_FOUND' });

    const deleted = await svc.deleteClient(demo, c.clientId);
    expect(deleted.removed).toBeGreaterThan(0);
    await expect(svc.client(demo, c.clientId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(svc.deleteClient(demo, c.clientId)).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('refuses to delete a client for an identity without SERVER_ADMIN, and keeps the client', async () => {
    const yaml = await sim.mintApiConfig('investigator-1', ['investigator']);
    await manager.import({ name: 'investigator', yaml, storage: 'session' });
    const inv = { server: 'investigator', org: '' };
    const c = await clientOf('linux');
    await expect(svc.deleteClient(inv, c.clientId)).rejects.toMatchObject({ code: 'PERMISSION_DENIED' });
    expect((await svc.client(demo, c.clientId)).clientId).toBe(c.clientId);
  });
});

describe('hunts on the simulator', () => {
  it('gives each finished hunt flow its start and end, and exports the hunt as one zip', async () => {
    const created = await svc.createHunt(demo, {
      description: 'hunt export test',
      artifacts: ['Generic.Client.Info'],
      parameters: {},
      scope: { includeLabels: [], excludeLabels: [], os: 'linux' },
      expiresHours: 1,
      resources: { urgent: false },
      paused: false,
    });
    let flows = await svc.huntFlows(demo, created.huntId);
    for (let i = 0; i < 100 && (flows.length === 0 || flows.some((f) => f.finishedMs === 0)); i++) {
      await new Promise((r) => setTimeout(r, 100));
      flows = await svc.huntFlows(demo, created.huntId);
    }
    expect(flows.length).toBeGreaterThan(0);
    for (const f of flows) {
      expect(f.state).toBe('FINISHED');
      expect(f.startedMs).toBeGreaterThan(0);
      expect(f.finishedMs).toBeGreaterThanOrEqual(f.startedMs);
    }

    let last: DownloadProgress | undefined;
    for await (const p of svc.exportHunt(demo, created.huntId, new AbortController().signal)) last = p;
    expect(last?.done).toBe(true);
    expect(last?.savedTo).toMatch(/\.zip$/);
    const zip = readFileSync(last!.savedTo!);
    expect(zip.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(zip.length).toBe(last!.received);
  });
});

describe('VFS on the simulator', () => {
  it('gives each folder its own children, and a locked file downloads shorter than it is listed', async () => {
    const c = await clientOf('windows');
    const names = async (path: string) => {
      await svc.vfsRefresh(demo, c.clientId, path);
      return (await svc.vfsList(demo, c.clientId, path)).entries;
    };
    const root = await names('C:\\');
    const users = await names('C:\\Users');
    const windows = await names('C:\\Windows');
    expect(users.map((e) => e.name)).toContain('Public');
    expect(windows.map((e) => e.name)).toContain('System32');
    expect(users.map((e) => e.name)).not.toEqual(windows.map((e) => e.name));
    // A folder name with a space stays one entry with its whole path.
    const programFiles = root.find((e) => e.name === 'Program Files')!;
    expect(programFiles).toMatchObject({ path: 'C:\\Program Files', isDir: true });
    // Every file time the client reports is there (these stand-in file systems record no birth time).
    const pagefile = root.find((e) => e.name === 'pagefile.sys')!;
    for (const t of [pagefile.mtime, pagefile.atime, pagefile.ctime])
      expect(Date.parse(t)).toBeGreaterThan(0);
    expect(typeof pagefile.btime).toBe('string');

    let last: DownloadProgress | undefined;
    for await (const p of svc.download(demo, c.clientId, pagefile.path, new AbortController().signal))
      last = p;
    expect(last?.done).toBe(true);
    expect(last!.received).toBeLessThan(pagefile.size);
    // An ordinary file downloads whole: its listed size is its bytes.
    const notes = root.find((e) => e.name === 'notes.txt')!;
    for await (const p of svc.download(demo, c.clientId, notes.path, new AbortController().signal)) last = p;
    expect(last!.received).toBe(notes.size);
  });
});
