/**
 * Conformance: the product's own operations, end to end, against one server and one client — the
 * typed operations (VelociraptorService), the UI's core calls (InvestigationService), the MCP tools
 * (SDK client in process) and the built CLI. CI runs it against the simulator; by hand it runs
 * against a real server (testing/conformance-target.ts: MEGARAPTOR_CONFORMANCE_API_CONFIG + MEGARAPTOR_CONFORMANCE_CLIENT),
 * and docs/real-server-conformance.md records the outcome per operation. Each test is one operation
 * and asserts what a responder relies on, not what today's code happens to return.
 *
 * Run against a real server:
 *   MEGARAPTOR_CONFORMANCE_API_CONFIG=admin.yaml MEGARAPTOR_CONFORMANCE_CLIENT=C.… \
 *     npx vitest run --project integration electron/core/velociraptor/conformance
 * It leaves on the server: a few hunts (stopped), flows, and nothing else (its labels and its user
 * are removed again).
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestStep } from '../../../../shared/contracts/connections';
import type { DownloadProgress } from '../../../../shared/contracts/clients';
import { isAppError } from '../../../../shared/errors';
import { ConnectionManager, testConnection as uiTestConnection } from '../../connections/index';
import { InvestigationService } from '../../investigation/service';
import { connectInProcess, makeHarness } from '../../mcp/testing/harness';
import { RegistryServers } from '../../mcp/servers';
import { ReadOnlyIdentities } from '../../mcp/read-only-identity';
import { loadApiConfig } from '../config/api-config';
import type { ClientSummary } from '../operations/clients';
import { revokeRolesQuery, userCreateQuery } from '../operations/users';
import { MAX_RANGE_BYTES, readRange } from '../operations/vfs';
import { ConnectionRegistry } from '../registry';
import { VelociraptorService } from '../service';
import { build, str, userName, vql } from '../vql/builder';
import { conformanceTarget, type ConformanceTarget } from '../testing/conformance-target';

const CLI = join(process.cwd(), 'out', 'cli', 'megaraptor.mjs');
const INFO = 'Generic.Client.Info';
const INFO_SOURCE = 'Generic.Client.Info/BasicInformation';
const run = randomBytes(3).toString('hex');
const LABEL = `megaraptor-conformance-${run}`;
const EXCLUDED = `megaraptor-conformance-excluded-${run}`;
const USER = `megaraptor-conformance-${run}`;
const SERVER = 'conformance';
const T = { server: SERVER, org: '' };

let target: ConformanceTarget;
let registry: ConnectionRegistry;
let svc: VelociraptorService;
let manager: ConnectionManager;
let ui: InvestigationService;
let mcp: Client;
let dir: string;
let configFile: string;
let readOnly: ReadOnlyIdentities | undefined;
let client: ClientSummary;
const state: {
  flowId?: string;
  file?: { path: string; size: number };
  download?: { savedTo: string; sha256: string };
  huntId?: string;
} = {};

async function tool(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await mcp.callTool({ name, arguments: args }, undefined, { timeout: 300_000 })) as CallToolResult;
}

function structured<T>(r: CallToolResult): T {
  if (r.isError)
    throw new Error(r.content.map((c) => (c.type === 'text' ? c.text : '')).join('') || 'tool error');
  return r.structuredContent as T;
}

function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out, err });
    });
  });
}

function probeDir(os: string): string {
  return os.toLowerCase() === 'windows' ? 'C:\\Windows' : '/etc';
}

/** A file every client of the OS has, for when the listing gave none (size then unknown). */
function probeFile(os: string): string {
  return os.toLowerCase() === 'windows' ? 'C:\\Windows\\win.ini' : '/etc/passwd';
}

function str0(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

async function pollUntil<V>(what: string, fn: () => Promise<V | undefined>, timeoutMs = 120_000): Promise<V> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

beforeAll(async () => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first.`);
  target = await conformanceTarget();
  dir = mkdtempSync(join(tmpdir(), 'mr-conformance-'));
  configFile = join(dir, 'api.yaml');
  writeFileSync(configFile, target.yaml, { mode: 0o600 });
  registry = new ConnectionRegistry();
  registry.addConfig(SERVER, loadApiConfig(target.yaml));
  svc = new VelociraptorService(registry.connection(SERVER));
  client = await svc.getClient(target.clientId);
  manager = new ConnectionManager({
    dataDir: dir,
    secrets: () => Promise.resolve(null),
    demo: () => Promise.reject(new Error('no demo in the conformance suite')),
  });
  await manager.import({ name: SERVER, yaml: target.yaml, storage: 'session' });
  ui = new InvestigationService(manager, dir);
  const servers = new RegistryServers({
    registry,
    defaultServer: () => SERVER,
  });
  // Read-only VQL runs as the target's least-privilege identity when the target gives one.
  const readOnlyYaml = target.readOnlyYaml;
  readOnly = readOnlyYaml
    ? new ReadOnlyIdentities({
        source: { get: (name) => Promise.resolve(name === SERVER ? readOnlyYaml : undefined) },
        defaultServer: () => SERVER,
      })
    : undefined;
  // Gated tools are allowed by policy; nothing in this suite waits for a person.
  mkdirSync(join(dir, 'mcp'), { recursive: true });
  const h = makeHarness(servers, {
    dataDir: join(dir, 'mcp'),
    ...(readOnly ? { readOnly } : {}),
    policy: {
      mode: 'allow-listed',
      allowTools: ['collect_and_wait', 'create_hunt', 'start_hunt', 'stop_hunt', 'dfir_file_search'],
    },
    approver: { ask: () => Promise.resolve({ decision: 'denied', reason: 'conformance suite' }) },
  });
  mcp = await connectInProcess(h);
}, 180_000);

afterAll(async () => {
  readOnly?.close();
  // Leave the server as it was: labels, user and a running hunt are undone whatever failed.
  await svc?.setLabels(target.clientId, [LABEL, EXCLUDED], 'remove').catch(() => undefined);
  if (state.huntId) await svc?.stopHunt(state.huntId).catch(() => undefined);
  await svc?.conn
    .queryRows(build(vql`SELECT user_delete(user=${str(USER)}, really_do_it=TRUE) FROM scope()`))
    .catch(() => undefined);
  await mcp?.close();
  await manager?.dispose();
  registry?.close();
  await target?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('connection', () => {
  it('connection test (UI): every step passes and the roles are read', async () => {
    const steps: TestStep[] = [];
    for await (const s of uiTestConnection(manager.summary(SERVER), manager.registry.config(SERVER)))
      steps.push(s);
    expect(steps.filter((s) => s.status !== 'running').map((s) => `${s.step}:${s.status}`)).toEqual([
      'config:ok',
      'reachable:ok',
      'tls:ok',
      'identity:ok',
      'permissions:ok',
    ]);
    expect(steps.find((s) => s.step === 'permissions' && s.status === 'ok')?.message).toMatch(
      /Roles in this org: .+/,
    );
  });
});

describe('clients', () => {
  it('search by host name (typed operation, MCP tool and CLI)', async () => {
    expect((await svc.searchClients({ search: client.hostname })).map((c) => c.clientId)).toContain(
      target.clientId,
    );
    const found = structured<{ rows: Array<{ client_id: string }> }>(
      await tool('search_clients', { search: client.hostname }),
    );
    expect(found.rows.map((r) => r.client_id)).toContain(target.clientId);
    const r = await cli([
      'vql',
      '--api-config',
      configFile,
      '--format',
      'jsonl',
      '--quiet',
      '--env',
      `S=${client.hostname}`,
      'SELECT client_id FROM clients(search=S)',
    ]);
    expect(r.code).toBe(0);
    expect(
      r.out
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { client_id: string }).client_id),
    ).toContain(target.clientId);
  });

  it('client info: OS, host name, first and last seen as real dates, online', async () => {
    const c = await svc.getClient(target.clientId);
    expect(['windows', 'linux', 'darwin']).toContain(c.os.toLowerCase());
    expect(c.hostname).not.toBe('');
    const now = Date.now();
    for (const iso of [c.firstSeen, c.lastSeen]) {
      const t = Date.parse(iso ?? '');
      expect(t).toBeGreaterThan(Date.UTC(2015, 0, 1));
      expect(t).toBeLessThan(now + 86_400_000);
    }
    expect(c.online).toBe(true);
    const mcpClient = structured<{ client: { client_id: string; hostname: string } }>(
      await tool('get_client', { client_id: target.clientId }),
    );
    expect(mcpClient.client).toMatchObject({ client_id: target.clientId, hostname: c.hostname });
  });

  it('labels: add and remove (typed operation and UI), read back from the server', async () => {
    expect(await svc.setLabels(target.clientId, [LABEL], 'set')).toContain(LABEL);
    expect((await svc.getClient(target.clientId)).labels).toContain(LABEL);
    const r = await ui.setLabels(T, target.clientId, [EXCLUDED], [LABEL]);
    expect(r.labels).toContain(EXCLUDED);
    expect(r.labels).not.toContain(LABEL);
    await svc.setLabels(target.clientId, [EXCLUDED], 'remove');
    const after = (await svc.getClient(target.clientId)).labels;
    expect(after).not.toContain(LABEL);
    expect(after).not.toContain(EXCLUDED);
  });
});

describe('collections', () => {
  it('collect and wait: results per named source (typed operation)', async () => {
    const r = await svc.collectAndWait(
      { clientId: target.clientId, artifacts: [INFO] },
      { timeoutMs: 120_000 },
    );
    state.flowId = r.flowId;
    expect(r.state).toBe('FINISHED');
    expect(Object.keys(r.results)).toContain(INFO_SOURCE);
    expect(Object.keys(r.results)).not.toContain(INFO);
    expect(r.results[INFO_SOURCE]?.[0]).toHaveProperty('Hostname');
  });

  it('collect and wait through MCP: sources named Artifact/Source with rows', async () => {
    const r = structured<{ state: string; sources: Array<{ source: string; rows: unknown[] }> }>(
      await tool('collect_and_wait', { client_id: target.clientId, artifacts: [INFO], wait_seconds: 120 }),
    );
    expect(r.state).toBe('FINISHED');
    const basic = r.sources.find((s) => s.source === INFO_SOURCE);
    expect(basic?.rows.length).toBeGreaterThan(0);
  });

  it('flow list: newest first (the flow just collected leads)', async () => {
    expect(state.flowId).toBeDefined();
    const flows = await svc.listFlows(target.clientId, { limit: 5 });
    const times = flows.map((f) => Date.parse(f.createTime ?? ''));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    const all = await svc.listFlows(target.clientId, { limit: 10_000 });
    const newest = all.reduce((a, b) =>
      Date.parse(b.createTime ?? '') > Date.parse(a.createTime ?? '') ? b : a,
    );
    expect(flows[0]?.flowId).toBe(newest.flowId);
  });

  it('flow logs (client flow): every line has a time and a level', async () => {
    const logs = await svc.flowLogs(target.clientId, state.flowId ?? '');
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) {
      expect(Date.parse(l.time)).toBeGreaterThan(Date.UTC(2015, 0, 1));
      expect(l.level).toMatch(/^(DEBUG|INFO|WARN|WARNING|ERROR|DEFAULT|ALERT)$/);
      expect(l.message).not.toBe('');
    }
  });

  it('server collection: collect and wait, then its logs have a time and a level', async () => {
    const r = await svc.collectAndWait({ clientId: 'server', artifacts: [INFO] }, { timeoutMs: 120_000 });
    expect(r.state).toBe('FINISHED');
    const logs = await svc.flowLogs('server', r.flowId);
    expect(logs.length).toBeGreaterThan(0);
    for (const l of logs) {
      expect(Date.parse(l.time)).toBeGreaterThan(Date.UTC(2015, 0, 1));
      expect(l.level).toMatch(/^(DEBUG|INFO|WARN|WARNING|ERROR|DEFAULT|ALERT)$/);
    }
  });

  it('flow zip: a zip whose sha256 is that of the file written', async () => {
    const dest = join(dir, 'flow.zip');
    const r = await svc.exportFlowZip(target.clientId, state.flowId ?? '', dest);
    const bytes = readFileSync(dest);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(r.components.at(-1)).toMatch(/\.zip$/);
  });
});

describe('files', () => {
  it('VFS list at depth 1: entries of the asked directory only, no statistics rows', async () => {
    const path = probeDir(client.os);
    const r = await svc.vfsList({ clientId: target.clientId, path, depth: 1 }, { timeoutMs: 120_000 });
    expect(r.entries.length).toBeGreaterThan(0);
    const norm = (p: string): string => p.replace(/\\/g, '/').toLowerCase();
    const base = norm(path).replace(/\/$/, '');
    let deeper = 0;
    for (const e of r.entries) {
      expect(e).not.toHaveProperty('Stats');
      expect(typeof e.Name).toBe('string');
      expect(typeof e.Mode).toBe('string');
      const p = norm(str0(e._OSPath));
      expect(p.startsWith(`${base}/`)).toBe(true);
      if (p.slice(base.length + 1).includes('/')) deeper++;
    }
    expect(deeper).toBeGreaterThan(0);
    const file = r.entries.find(
      (e) => str0(e.Mode).startsWith('-') && Number(e.Size) > 0 && Number(e.Size) < 1 << 20,
    );
    if (file) state.file = { path: str0(file._OSPath) || str0(file.OSPath), size: Number(file.Size) };
    expect(state.file).toBeDefined();
  });

  it('VFS refresh and list (UI): the refreshed directory with folders marked', async () => {
    const path = probeDir(client.os);
    const refreshed = await ui.vfsRefresh(T, target.clientId, path);
    expect(refreshed.state).toBe('FINISHED');
    const listing = await ui.vfsList(T, target.clientId, path);
    expect(listing.entries.length).toBeGreaterThan(0);
    const norm = (p: string): string => p.replace(/\\/g, '/').toLowerCase();
    for (const e of listing.entries)
      expect(norm(e.path).startsWith(`${norm(path).replace(/\/$/, '')}/`)).toBe(true);
    expect(listing.entries.some((e) => e.isDir)).toBe(true);
    for (const e of listing.entries) expect(e.isDir).toBe(e.mode.startsWith('d'));
  });

  it('download a file (UI): its bytes and sha256 arrive', async () => {
    // Without a file from the listing test, a file the OS always has (its size is then not known).
    const file = state.file ?? { path: probeFile(client.os), size: -1 };
    let last: DownloadProgress | undefined;
    for await (const p of ui.download(T, target.clientId, file.path, new AbortController().signal)) last = p;
    expect(last?.done).toBe(true);
    const saved = readFileSync(last?.savedTo ?? '');
    if (file.size >= 0) expect(saved.length).toBe(file.size);
    expect(saved.length).toBeGreaterThan(0);
    expect(last?.sha256).toBe(createHash('sha256').update(saved).digest('hex'));
    state.download = { savedTo: last?.savedTo ?? '', sha256: last?.sha256 ?? '' };
  });

  it('hex pages: ranges of the uploaded file, page by page, equal the stored file', async () => {
    const flows = await svc.listFlows(target.clientId, { limit: 10_000 });
    const dl = flows
      .filter((f) => f.artifacts.includes('System.VFS.DownloadFile') && f.totalUploadedFiles > 0)
      .sort((a, b) => Date.parse(b.createTime ?? '') - Date.parse(a.createTime ?? ''))[0];
    const up = (await svc.listUploads(target.clientId, dl?.flowId ?? ''))[0];
    expect(up?.components.length).toBeGreaterThan(0);
    const pages: Buffer[] = [];
    const page = 4096;
    for (let off = 0; ; off += page) {
      const b = await readRange(svc.conn, { components: up?.components ?? [] }, off, page);
      expect(b.length).toBeLessThanOrEqual(page);
      if (b.length === 0) break;
      pages.push(b);
    }
    const whole = Buffer.concat(pages);
    expect(whole.length).toBe(up?.uploadedSize);
    if (state.download) expect(createHash('sha256').update(whole).digest('hex')).toBe(state.download.sha256);
    await expect(
      readRange(svc.conn, { components: up?.components ?? [] }, 0, MAX_RANGE_BYTES + 1),
    ).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('hunts', () => {
  it('create with a label scope: the server applies the scope the product shows', async () => {
    await svc.setLabels(target.clientId, [LABEL], 'set');
    const { huntId } = await svc.createHunt({
      description: `megaraptor conformance ${run}`,
      artifacts: [INFO],
      includeLabels: [LABEL],
      excludeLabels: [EXCLUDED],
      expiresInSeconds: 3600,
    });
    state.huntId = huntId;
    const h = await svc.huntStatus(huntId);
    expect(h).toMatchObject({ state: 'PAUSED', includeLabels: [LABEL], excludeLabels: [EXCLUDED], os: '' });
    const viaMcp = structured<{ hunt: Record<string, unknown> }>(await tool('get_hunt', { hunt_id: huntId }));
    expect(JSON.stringify(viaMcp.hunt)).toContain(EXCLUDED);
  });

  it('create with an OS and excluded labels: refused, or applied as shown', async () => {
    try {
      const { huntId } = await svc.createHunt({
        description: `megaraptor conformance os ${run}`,
        artifacts: [INFO],
        os: 'linux',
        excludeLabels: [EXCLUDED],
        expiresInSeconds: 3600,
      });
      const h = await svc.huntStatus(huntId);
      expect(h.excludeLabels).toEqual([EXCLUDED]);
      expect(h.os).toBe('linux');
    } catch (e) {
      if (!isAppError(e, 'INVALID_ARGUMENT')) throw e;
    }
  });

  it('start: the hunt runs and reaches the labelled client', async () => {
    expect(state.huntId).toBeDefined();
    const h = await svc.startHunt(state.huntId ?? '');
    expect(h.state).toBe('RUNNING');
    const flows = await pollUntil('the client finishing its hunt flow', async () => {
      const f = await svc.huntFlows(state.huntId ?? '');
      return f.some((x) => x.clientId === target.clientId && x.state === 'FINISHED') ? f : undefined;
    });
    expect(flows.map((f) => f.clientId)).toEqual([target.clientId]);
  });

  it('results: per source, and never silently empty for an artifact name', async () => {
    const rows = await svc.huntResults(state.huntId ?? '', INFO_SOURCE);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0]).toMatchObject({ ClientId: target.clientId });
    const viaMcp = structured<{ rows: unknown[] }>(
      await tool('get_hunt_results', { hunt_id: state.huntId, source: INFO_SOURCE }),
    );
    expect(viaMcp.rows.length).toBeGreaterThan(0);
    // The dashboard asks by artifact name: rows, or an error that says which sources exist.
    const byName = await svc.huntResults(state.huntId ?? '', INFO).then(
      (r) => ({ rows: r, error: undefined }),
      (e: unknown) => ({ rows: undefined, error: e }),
    );
    if (byName.error === undefined) expect(byName.rows?.length).toBeGreaterThan(0);
    else {
      expect(isAppError(byName.error)).toBe(true);
      expect((byName.error as Error).message).toContain(INFO_SOURCE);
    }
  });

  it('hunt zip: a zip whose sha256 is that of the file written', async () => {
    const dest = join(dir, 'hunt.zip');
    const r = await svc.exportHuntZip(state.huntId ?? '', dest);
    const bytes = readFileSync(dest);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('PK\x03\x04');
    expect(r.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('stop: the hunt stops', async () => {
    expect((await svc.stopHunt(state.huntId ?? '')).state).toBe('STOPPED');
  });

  it('hunt list: newest first', async () => {
    const hunts = await svc.listHunts({ limit: 10_000 });
    expect(hunts.map((h) => h.huntId)).toContain(state.huntId);
    const times = hunts.map((h) => Date.parse(h.createTime ?? ''));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });
});

describe('users and roles', () => {
  it('who am I, my roles, and the users of the org', async () => {
    const me = await svc.whoami();
    const u = await svc.currentUser();
    expect(u.name).toBe(me);
    expect(u.roles.length).toBeGreaterThan(0);
    const users = await svc.listUsers();
    expect(users.find((x) => x.name === me)?.roles.length).toBeGreaterThan(0);
  });

  it('revocation: an identity whose roles were revoked has none left', async () => {
    await svc.conn.queryRows(userCreateQuery(USER, ['api']));
    const rolesOf = async (): Promise<unknown> =>
      (await svc.conn.queryRows(build(vql`SELECT user(user=${userName(USER)}).roles AS Roles FROM scope()`)))
        .rows[0]?.Roles;
    expect(await rolesOf()).toEqual(['api']);
    await svc.conn.queryRows(revokeRolesQuery(USER));
    const left = await rolesOf();
    expect(left === null || (Array.isArray(left) && left.length === 0)).toBe(true);
    expect((await svc.listUsers()).find((x) => x.name === USER)?.roles ?? []).toEqual([]);
  });
});

describe('version-aware artifacts', () => {
  it('file search (MCP dfir_file_search): the glob form the server declares reaches the client', async () => {
    const windows = client.os.toLowerCase() === 'windows';
    const glob = windows ? 'C:\\Windows\\win.i*' : '/etc/pass*';
    const r = structured<{
      flow_id: string;
      finished: boolean;
      sources: Array<{ rows: Array<Record<string, unknown>> }>;
    }>(await tool('dfir_file_search', { client_id: target.clientId, glob, wait_seconds: 240 }));
    expect(r.finished).toBe(true);
    // A server keeps only declared parameters in the stored request: the glob is there, as sent.
    const f = await svc.flowStatus(target.clientId, r.flow_id);
    const [artifact, params] = Object.entries(f.parameters)[0] ?? ['', {}];
    expect(artifact).toMatch(/\.Search\.FileFinder$/);
    expect(Object.values(params).join('\n')).toContain(glob);
    // and the search ran it, not the artifact's default glob.
    const paths = r.sources.flatMap((s) => s.rows.map((row) => str0(row.OSPath).replace(/\\/g, '/')));
    expect(paths.some((p) => /\/(passwd|win\.ini)$/i.test(p))).toBe(true);
  });

  it('an undeclared artifact parameter is refused before it is sent, naming what the server declares', async () => {
    const before = (await svc.listFlows(target.clientId, { limit: 5 })).map((x) => x.flowId);
    const err = await svc
      .collect({
        clientId: target.clientId,
        artifacts: [INFO],
        parameters: { [INFO]: { MegaraptorNoSuchParameter: 'x' } },
      })
      .catch((e: unknown) => e);
    expect(isAppError(err, 'INVALID_ARGUMENT')).toBe(true);
    expect((err as Error).message).toMatch(/does not declare parameter MegaraptorNoSuchParameter/);
    expect((await svc.listFlows(target.clientId, { limit: 5 })).map((x) => x.flowId)).toEqual(before);
  });

  it('hunt tags: applied where hunt() takes them, refused naming the release where it does not', async () => {
    try {
      const { huntId } = await svc.createHunt({
        description: `megaraptor conformance tags ${run}`,
        artifacts: [INFO],
        tags: [LABEL],
        expiresInSeconds: 3600,
      });
      expect((await svc.huntStatus(huntId)).tags).toEqual([LABEL]);
      await svc.stopHunt(huntId);
    } catch (e) {
      if (!isAppError(e, 'INVALID_ARGUMENT')) throw e;
      expect(e.message).toMatch(/takes no tags.*0\.77/);
      expect(await svc.serverVersion()).toMatch(/^0\.(7[0-6])\./);
    }
  });
});

describe('VQL', () => {
  it('read-only VQL (MCP run_vql): reads run, a label change does not happen', async () => {
    const read = structured<{ rows: Array<{ client_id: string }> }>(
      await tool('run_vql', {
        query: 'SELECT client_id FROM clients(client_id=Id)',
        env: { Id: target.clientId },
      }),
    );
    expect(read.rows.map((r) => r.client_id)).toEqual([target.clientId]);
    const write = await tool('run_vql', {
      query: "SELECT label(client_id=Id, labels=['megaraptor-readonly-breach'], op='set') AS X FROM scope()",
      env: { Id: target.clientId },
    });
    expect(write.isError).toBe(true);
    expect((await svc.getClient(target.clientId)).labels).not.toContain('megaraptor-readonly-breach');
  });

  it('CLI: rows on stdout, exit 0; a VQL error exits 1 with the server text', async () => {
    const ok = await cli([
      'vql',
      '--api-config',
      configFile,
      '--quiet',
      'SELECT whoami() AS Me FROM scope()',
    ]);
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.out) as Array<{ Me: string }>)[0]?.Me).toBe(await svc.whoami());
    const bad = await cli(['vql', '--api-config', configFile, 'SELECT * FROM megaraptor_no_such_plugin()']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/Plugin megaraptor_no_such_plugin not found/);
  });
});
