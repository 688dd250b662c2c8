/**
 * Issue 12 item 1: the places where the client, the MCP tools and the UI's core calls disagreed
 * with the real Velociraptor server, each checked on the product's own layer against the simulator
 * that now behaves as the real server does (facts: docs/velociraptor/vql.md, in particular
 * vql.md#pitfalls-found-in-the-source, and the real-server findings). Each test names its item ("12.1.N") and fails on the old behaviour.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DownloadProgress } from '../../../shared/contracts/clients';
import { isAppError } from '../../../shared/errors';
import { ConnectionManager, DEMO_NAME } from '../connections/index';
import { BulkActions } from '../investigation/bulk';
import { InvestigationService } from '../investigation/service';
import { allTools } from '../mcp/registry';
import { connectInProcess, makeHarness } from '../mcp/testing/harness';
import { simServers, type SimServers } from '../mcp/testing/sim-servers';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { loadApiConfig } from './config/api-config';
import { serverAdmin } from './operations/users';
import { pathComponents } from './operations/vfs';
import { ConnectionRegistry } from './registry';
import { VelociraptorService } from './service';
import { testConnection } from './test-connection';
import type { ClientSummary } from './operations/clients';

let sim: RunningSimulator;
let s: SimServers;
let svc: VelociraptorService;
let manager: ConnectionManager;
let ui: InvestigationService;
let bulk: BulkActions;
let mcp: Client;
let dataDir: string;
let clients: ClientSummary[];
const demo = { server: DEMO_NAME, org: '' };

const online = (os: string): ClientSummary => clients.find((c) => c.online && c.os === os)!;

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', speed: 50 });
  s = await simServers(sim);
  svc = s.admin;
  dataDir = mkdtempSync(join(tmpdir(), 'mr-items-'));
  manager = new ConnectionManager({
    dataDir,
    secrets: () => Promise.resolve(null),
    demo: async () => ({
      yaml: await sim.mintApiConfig('ui-user', ['administrator']),
      stop: () => Promise.resolve(),
    }),
  });
  await manager.startDemo();
  ui = new InvestigationService(manager, dataDir);
  bulk = new BulkActions(manager);
  const gated = allTools()
    .filter((t) => t.gated)
    .map((t) => t.name);
  mcp = await connectInProcess(
    makeHarness(s.servers, { policy: { mode: 'allow-listed', allowTools: gated } }),
  );
  clients = await svc.searchClients({ search: 'all', limit: 500 });
}, 60_000);

afterAll(async () => {
  await mcp?.close();
  await manager?.dispose();
  s?.close();
  await sim?.stop();
});

async function tool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await mcp.callTool({ name, arguments: args }, undefined, { timeout: 60_000 })) as CallToolResult;
}

function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

async function drain<T>(gen: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of gen) out.push(x);
  return out;
}

/** Downloads a client file through the UI's own call; returns the last progress event. */
async function uiDownload(clientId: string, path: string): Promise<DownloadProgress> {
  const events = await drain(ui.download(demo, clientId, path, new AbortController().signal));
  return events.at(-1)!;
}

describe('VFS', () => {
  it('12.1.1 a listing sends Components, so listing /etc lists /etc and not the root', async () => {
    expect(pathComponents('/etc')).toEqual(['etc']);
    expect(pathComponents('C:\\Users\\alice')).toEqual(['C:', 'Users', 'alice']);
    expect(pathComponents('/')).toEqual([]);
    const lin = online('linux');
    const r = await tool('vfs_list', {
      client_id: lin.clientId,
      path: '/etc',
      wait_seconds: 30,
      max_rows: 100,
    });
    expect(r.isError, text(r)).toBeFalsy();
    const rows = (r.structuredContent as { rows: Array<{ _OSPath: string }> }).rows;
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) expect(row._OSPath.startsWith('/etc/')).toBe(true);
    // The UI's refresh and listing of the same directory.
    await ui.vfsRefresh(demo, lin.clientId, '/etc');
    const listed = await ui.vfsList(demo, lin.clientId, '/etc');
    expect(listed.entries.map((e) => e.path)).toContain('/etc/hosts');
  });

  it('12.1.2 a download sends Components, so the UI gets the file (Path alone uploads nothing)', async () => {
    const lin = online('linux');
    const done = await uiDownload(lin.clientId, '/etc/hosts');
    expect(done.done).toBe(true);
    const bytes = readFileSync(done.savedTo!);
    expect(bytes.toString()).toMatch(/^Simulated content of \/etc\/hosts on /);
    expect(done.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('12.1.3 listing rows are read by _OSPath and Mode: directories show as directories', async () => {
    const lin = online('linux');
    await ui.vfsRefresh(demo, lin.clientId, '/');
    const { entries } = await ui.vfsList(demo, lin.clientId, '/');
    const etc = entries.find((e) => e.name === 'etc')!;
    const notes = entries.find((e) => e.name === 'notes.txt')!;
    expect(etc).toMatchObject({ path: '/etc', isDir: true, mode: 'drwxr-xr-x' });
    expect(notes).toMatchObject({ path: '/notes.txt', isDir: false });
    expect(notes.size).toBeGreaterThan(0);
  });

  it('12.1.4 vfs_list gives the Listing rows only, not the …/Stats row', async () => {
    const win = online('windows');
    const r = await tool('vfs_list', {
      client_id: win.clientId,
      path: 'C:\\',
      wait_seconds: 30,
      max_rows: 100,
    });
    const rows = (r.structuredContent as { rows: Array<Record<string, unknown>> }).rows;
    expect(rows.length).toBe(6);
    for (const row of rows) {
      expect(row).toHaveProperty('Name');
      expect(row).not.toHaveProperty('Stats');
    }
  });

  it('12.1.7 the hex view reads the upload by its components without client_id', async () => {
    const lin = online('linux');
    const done = await uiDownload(lin.clientId, '/etc/passwd');
    const file = readFileSync(done.savedTo!);
    const range = await bulk.readFileRange(demo, lin.clientId, '/etc/passwd', 0, 64);
    expect(range.size).toBe(file.length);
    expect(Buffer.from(range.data, 'base64')).toEqual(file.subarray(0, 64));
  });
});

describe('collections and hunts', () => {
  it('12.1.5 dfir_file_search on Windows sends a glob parameter the server declares, and finds the files', async () => {
    const win = online('windows');
    const mark = sim.receivedQueries().length;
    const r = await tool('dfir_file_search', {
      client_id: win.clientId,
      glob: 'C:/Users/*/Downloads/*',
      wait_seconds: 30,
    });
    expect(r.isError, text(r)).toBeFalsy();
    const rows = (
      r.structuredContent as { sources: Array<{ rows: Array<{ OSPath: string }> }> }
    ).sources.flatMap((x) => x.rows);
    expect(rows.map((x) => x.OSPath)).toContain('C:\\Users\\alice\\Downloads\\invoice_2024.pdf.exe');
    // Every parameter sent is declared by the server's definition (none is silently dropped).
    const spec = sim
      .receivedQueries()
      .slice(mark)
      .flatMap((q) => q.env)
      .find((e) => e.value.includes('Windows.Search.FileFinder') && e.value.startsWith('{'))!;
    const sent = Object.keys(
      (JSON.parse(spec.value) as Record<string, object>)['Windows.Search.FileFinder']!,
    );
    const [def] = await svc.getArtifacts(['Windows.Search.FileFinder']);
    const declared = def!.parameters.map((p) => p.name);
    for (const p of sent) expect(declared).toContain(p);
  });

  it('12.1.6 hunt results of an artifact with named sources are read per Artifact/Source', async () => {
    const { huntId } = await svc.createHunt({
      description: 'named sources',
      artifacts: ['Generic.Client.Info', 'Linux.Sys.Crontab'],
      includeLabels: ['Servers'],
      start: true,
    });
    // Wait for every scheduled client: comparing two reads while clients still finish races.
    await expect
      .poll(
        async () => {
          const { stats } = await svc.huntStatus(huntId);
          return stats.scheduled > 0 && stats.finished === stats.scheduled;
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    const hunt = await ui.hunt(demo, huntId);
    expect(hunt.sources).toEqual(
      expect.arrayContaining(['Generic.Client.Info/BasicInformation', 'Linux.Sys.Crontab/CronTabs']),
    );
    const r = await ui.huntResults(demo, huntId, 'Generic.Client.Info/BasicInformation', 'owner');
    expect(r.total).toBeGreaterThan(0);
    // A bare name with a single named source is completed; with several it is refused, naming them.
    expect((await svc.huntResults(huntId, 'Linux.Sys.Crontab', { limit: 100 })).length).toBe(
      (await svc.huntResults(huntId, 'Linux.Sys.Crontab/CronTabs', { limit: 100 })).length,
    );
    const bare = await tool('get_hunt_results', { hunt_id: huntId, source: 'Generic.Client.Info' });
    expect(text(bare)).toMatch(/INVALID_ARGUMENT.*Generic\.Client\.Info\/BasicInformation/);
  });

  it('12.1.8 a hunt zip is downloaded although the server names it without .zip', async () => {
    const finished = (await svc.listHunts({ limit: 100 })).find((h) => h.stats.finished > 0)!;
    const dest = join(dataDir, 'hunt.zip');
    const r = await svc.exportHuntZip(finished.huntId, dest);
    expect(r.components.at(-1)).toBe(`${finished.huntId}.zip`);
    expect(readFileSync(dest).subarray(0, 2).toString('latin1')).toBe('PK');
  });

  it('12.1.12 preview, estimate and create agree with the server: an OS drops the labels', async () => {
    const scope = { os: 'windows' as const, exclude_labels: ['DomainControllers'] };
    const windows = clients.filter((c) => c.os === 'windows');
    const dcs = windows.filter((c) => c.labels.includes('DomainControllers'));
    expect(dcs.length).toBeGreaterThan(0);
    const preview = (await tool('preview_hunt_scope', { ...scope, max_rows: 500 })).structuredContent as {
      total: number;
      warning?: string;
    };
    expect(preview.total).toBe(windows.length);
    expect(preview.warning).toMatch(/drops the exclude labels DomainControllers/);
    const estimate = await ui.estimate(demo, {
      os: 'windows',
      includeLabels: [],
      excludeLabels: ['DomainControllers'],
    });
    expect(estimate.count).toBe(windows.length);
    expect(estimate.warning).toMatch(/DomainControllers/);
    // The app refuses to create it (it would reach the excluded clients)...
    await expect(
      ui.createHunt(demo, {
        description: 'x',
        artifacts: ['Generic.Client.Info'],
        parameters: {},
        scope: { os: 'windows', includeLabels: [], excludeLabels: ['DomainControllers'] },
        expiresHours: 1,
        resources: { urgent: false },
        paused: true,
      }),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // ...and where the responder accepted it (MCP, after the plan said so), the server hunts the DCs too.
    const created = (
      await tool('create_hunt', { description: 'os wins', artifacts: ['Generic.Client.Info'], ...scope })
    ).structuredContent as { hunt_id: string };
    await svc.startHunt(created.hunt_id);
    const onlineWindows = windows.filter((c) => c.online).map((c) => c.clientId);
    await expect
      .poll(async () => (await svc.huntFlows(created.hunt_id)).length, { timeout: 20_000 })
      .toBe(onlineWindows.length);
    const reached = (await svc.huntFlows(created.hunt_id)).map((f) => f.clientId);
    expect(reached).toEqual(expect.arrayContaining(dcs.filter((c) => c.online).map((c) => c.clientId)));
  });

  it('12.1.13 hunt rows: excluded labels and the OS are read from the condition', async () => {
    const labelled = await svc.createHunt({
      description: 'labels',
      artifacts: ['Generic.Client.Info'],
      includeLabels: ['Servers'],
      excludeLabels: ['DMZ'],
    });
    expect(await ui.hunt(demo, labelled.huntId)).toMatchObject({
      includeLabels: ['Servers'],
      excludeLabels: ['DMZ'],
      os: '',
    });
    const mac = await svc.createHunt({ description: 'mac', artifacts: ['MacOS.System.Users'], os: 'darwin' });
    expect(await ui.hunt(demo, mac.huntId)).toMatchObject({
      os: 'darwin',
      includeLabels: [],
      excludeLabels: [],
    });
  });

  it('12.1.14 server-flow logs carry their level and time, and collect-and-wait reports a server collection’s error', async () => {
    const r = await svc.collectAndWait(
      {
        clientId: 'server',
        artifacts: ['Server.Utils.CreateCollector'],
        parameters: { 'Server.Utils.CreateCollector': { artifacts: '["No.Such.Artifact"]' } },
      },
      { timeoutMs: 30_000, pollMs: 100 },
    );
    expect(r.state).toBe('ERROR');
    expect(r.errors).toContain('ERROR CreateCollector: Unknown artifact No.Such.Artifact');
    const logs = await ui.logs(demo, 'server', r.flowId);
    expect(logs.find((l) => l.level === 'ERROR')?.timeMs).toBeGreaterThan(0);
    // Client flows: client_time in seconds, lower-case level.
    const lin = online('linux');
    const flow = (await svc.listFlows(lin.clientId, { limit: 1 }))[0]!;
    const clientLogs = await ui.logs(demo, lin.clientId, flow.flowId);
    expect(clientLogs.length).toBeGreaterThan(0);
    for (const l of clientLogs) expect(l.timeMs).toBeGreaterThan(0);
  });

  it('12.1.15 flows and hunts are listed newest first although the server answers unsorted', async () => {
    const win = online('windows');
    const launched = await svc.collect({ clientId: win.clientId, artifacts: ['Generic.Client.Info'] });
    expect((await ui.flows(demo, win.clientId, 3))[0]?.flowId).toBe(launched.flowId);
    const listed = (await tool('list_flows', { client_id: win.clientId, max_rows: 2 })).structuredContent as {
      rows: Array<{ flow_id: string }>;
    };
    expect(listed.rows[0]?.flow_id).toBe(launched.flowId);
    const { huntId } = await svc.createHunt({ description: 'newest', artifacts: ['Generic.Client.Info'] });
    expect((await svc.listHunts({ limit: 1 }))[0]?.huntId).toBe(huntId);
    expect((await ui.hunts(demo))[0]?.huntId).toBe(huntId);
  });

  it('12.1.16 hash search sends hashes in lower case (hash() is lower-case, `in` is case-sensitive)', async () => {
    const win = online('windows');
    const r = await tool('dfir_file_search', {
      client_id: win.clientId,
      glob: 'C:/Users/**',
      hashes: ['D41D8CD98F00B204E9800998ECF8427E'],
      wait_seconds: 30,
    });
    const hits = (
      r.structuredContent as { sources: Array<{ rows: Array<{ OSPath: string }> }> }
    ).sources.flatMap((x) => x.rows);
    expect(hits.map((h) => h.OSPath)).toEqual(['C:\\Users\\alice\\Downloads\\notes-empty.txt']);
  });

  it('12.1.18 list_hunts offers the real hunt states (there is no COMPLETED)', async () => {
    const input = allTools().find((t) => t.name === 'list_hunts')!.inputSchema;
    expect(input.safeParse({ state: 'COMPLETED' }).success).toBe(false);
    for (const state of ['PAUSED', 'RUNNING', 'STOPPED', 'ARCHIVED'])
      expect(input.safeParse({ state }).success, state).toBe(true);
    const stopped = (await tool('list_hunts', { state: 'STOPPED', max_rows: 100 })).structuredContent as {
      rows: Array<{ state: string }>;
    };
    expect(stopped.rows.length).toBeGreaterThan(0);
    for (const h of stopped.rows) expect(h.state).toBe('STOPPED');
  });
});

describe('users and the connection test', () => {
  it('12.1.9 the connection test passes its permissions step: user() is asked with user=whoami()', async () => {
    const bare = await svc.runVql('SELECT user() AS R FROM scope()');
    expect(bare.rows[0]?.R).toBeNull();
    expect(bare.logs.map((l) => l.message).join('\n')).toMatch(/user: Field user is required/);
    const report = await testConnection(
      loadApiConfig(await sim.mintApiConfig('tester', ['api', 'investigator'])),
    );
    expect(report.steps.find((x) => x.id === 'permissions')).toMatchObject({ status: 'ok' });
    expect(report.roles).toEqual(['api', 'investigator']);
    expect(report.ok).toBe(true);
  });

  it('12.1.10 revoking a rotated-out identity takes its access away', async () => {
    const registry = new ConnectionRegistry();
    try {
      registry.addConfig('old', loadApiConfig(await sim.mintApiConfig('rotated-out', ['api'])));
      const old = new VelociraptorService(registry.connection('old'));
      expect(await old.whoami()).toBe('rotated-out');
      const admin = serverAdmin(async (q) => {
        const r = await svc.conn.queryRows(q);
        if (r.rows[0]?.User === null) throw new Error('user_grant refused');
      });
      await admin.revokeRoles('rotated-out');
      const after = await old.whoami().then(
        () => 'still allowed',
        (e: unknown) => (isAppError(e) ? e.code : String(e)),
      );
      expect(after).toBe('PERMISSION_DENIED');
    } finally {
      registry.close();
    }
  });
});

describe('prompts', () => {
  it('12.1.17 every artifact a prompt names exists on the server (Linux.Syslog.SSHLogin, not Linux.Ssh.LoginLogs)', async () => {
    const known = new Set((await svc.listArtifacts({ limit: 5000 })).map((a) => a.name));
    const { prompts } = await mcp.listPrompts();
    const named = new Set<string>();
    for (const p of prompts) {
      for (const clientId of [
        undefined,
        online('windows').clientId,
        online('linux').clientId,
        online('darwin').clientId,
      ]) {
        const args: Record<string, string> = {};
        for (const a of p.arguments ?? []) args[a.name] = a.name === 'client_id' ? (clientId ?? '') : 'x';
        const got = JSON.stringify((await mcp.getPrompt({ name: p.name, arguments: args })).messages);
        for (const m of got.matchAll(
          /\b(?:Windows|Linux|MacOS|Generic|Server|System)\.[A-Z][A-Za-z0-9]*(?:\.[A-Za-z0-9]+)*/g,
        ))
          named.add(m[0]);
      }
    }
    expect(named).toContain('Linux.Syslog.SSHLogin');
    expect([...named].filter((n) => !known.has(n))).toEqual([]);
  });
});
