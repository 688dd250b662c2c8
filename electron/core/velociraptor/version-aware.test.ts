/**
 * Issue 12 item 2 and finding N2: releases differ in their artifacts, artifact parameters and
 * function arguments, and a real server drops an undeclared parameter without a word. The product
 * reads what the connected server declares and never sends what it does not; the simulator plays
 * 0.75.7 and 0.77.2 (their catalogues as recorded in electron/core/sim/fixtures/real).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors';
import { allTools } from '../mcp/registry';
import { connectInProcess, makeHarness } from '../mcp/testing/harness';
import { simServers, type SimServers } from '../mcp/testing/sim-servers';
import { startSimulator, type RunningSimulator } from '../sim/index';
import type { ClientSummary } from './operations/clients';
import type { VelociraptorService } from './service';

interface Release {
  sim: RunningSimulator;
  s: SimServers;
  svc: VelociraptorService;
  mcp: Client;
  clients: ClientSummary[];
}

const releases = new Map<string, Release>();

async function start(version: string): Promise<Release> {
  const sim = await startSimulator({ host: '127.0.0.1', speed: 50, velociraptorVersion: version });
  const s = await simServers(sim);
  const gated = allTools()
    .filter((t) => t.gated)
    .map((t) => t.name);
  const mcp = await connectInProcess(
    makeHarness(s.servers, { policy: { mode: 'allow-listed', allowTools: gated } }),
  );
  const clients = await s.admin.searchClients({ search: 'all', limit: 500 });
  return { sim, s, svc: s.admin, mcp, clients };
}

beforeAll(async () => {
  for (const v of ['0.75', '0.77']) releases.set(v, await start(v));
}, 120_000);

afterAll(async () => {
  for (const r of releases.values()) {
    await r.mcp.close();
    r.s.close();
    await r.sim.stop();
  }
});

const at = (v: string): Release => releases.get(v)!;
const online = (r: Release, os: string): ClientSummary => r.clients.find((c) => c.online && c.os === os)!;

function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

/** The artifact parameters of every collect_client/hunt the simulator received after `mark`. */
function sentSpecs(r: Release, mark: number, artifact: string): Array<Record<string, string>> {
  return r.sim
    .receivedQueries()
    .slice(mark)
    .flatMap((q) => q.env)
    .filter((e) => e.value.startsWith('{') && e.value.includes(`"${artifact}"`))
    .map((e) => (JSON.parse(e.value) as Record<string, Record<string, string>>)[artifact]!);
}

function sentVql(r: Release, mark: number): string[] {
  return r.sim
    .receivedQueries()
    .slice(mark)
    .flatMap((q) => q.queries.map((x) => x.VQL));
}

describe('12.2 version-aware artifacts', () => {
  it.each([
    ['0.75', 'SearchFilesGlobTable'],
    ['0.77', 'Glob'],
  ])(
    '12.2.1 on %s dfir_file_search sends the Windows glob as %s (what the release declares) and finds the files',
    async (v, parameter) => {
      const r = at(v);
      const mark = r.sim.receivedQueries().length;
      const res = (await r.mcp.callTool(
        {
          name: 'dfir_file_search',
          arguments: {
            client_id: online(r, 'windows').clientId,
            glob: 'C:/Users/*/Downloads/*',
            wait_seconds: 30,
          },
        },
        undefined,
        { timeout: 60_000 },
      )) as CallToolResult;
      expect(res.isError, text(res)).toBeFalsy();
      const rows = (
        res.structuredContent as { sources: Array<{ rows: Array<{ OSPath: string }> }> }
      ).sources.flatMap((x) => x.rows);
      expect(rows.map((x) => x.OSPath)).toContain('C:\\Users\\alice\\Downloads\\invoice_2024.pdf.exe');
      const [spec] = sentSpecs(r, mark, 'Windows.Search.FileFinder');
      expect(Object.keys(spec!)).toContain(parameter);
      if (parameter === 'SearchFilesGlobTable') expect(spec!.SearchFilesGlobTable).toMatch(/^Glob\r?\n/);
      const [def] = await r.svc.getArtifacts(['Windows.Search.FileFinder']);
      const declared = def!.parameters.map((p) => p.name);
      for (const p of Object.keys(spec!)) expect(declared).toContain(p);
    },
  );

  it('12.2.2 quarantining a macOS client on 0.75 is refused, naming the release that has the artifact; nothing is sent', async () => {
    const r = at('0.75');
    const mac = online(r, 'darwin');
    const mark = r.sim.receivedQueries().length;
    const err = await r.svc.quarantine({ clientId: mac.clientId, message: 'IR' }).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('NOT_FOUND');
    expect((err as Error).message).toMatch(/MacOS\.Remediation\.Quarantine.*0\.77\.2/);
    expect((err as Error).message).toMatch(/Velociraptor 0\.75\.7/);
    expect(sentVql(r, mark).filter((q) => q.includes('collect_client('))).toEqual([]);
    // The same request on 0.77 is planned with the artifact.
    const p = await at('0.77').svc.planQuarantine({
      clientId: online(at('0.77'), 'darwin').clientId,
      message: 'IR',
    });
    expect(p.artifact).toBe('MacOS.Remediation.Quarantine');
  });

  it('12.2.3 a collection with a parameter the artifact does not declare is refused before it is sent', async () => {
    for (const v of ['0.75', '0.77']) {
      const r = at(v);
      const mark = r.sim.receivedQueries().length;
      const err = await r.svc
        .collect({
          clientId: online(r, 'linux').clientId,
          artifacts: ['Linux.Search.FileFinder'],
          parameters: { 'Linux.Search.FileFinder': { Glob: '/etc/*' } },
        })
        .catch((e: unknown) => e);
      expect(isAppError(err) && err.code, v).toBe('INVALID_ARGUMENT');
      expect((err as Error).message).toMatch(/does not declare parameter Glob.*SearchFilesGlob/);
      expect(sentVql(r, mark).filter((q) => q.includes('collect_client('))).toEqual([]);
    }
  });

  it('12.2.4 declarations are read once per server and release, not per collection', async () => {
    const r = at('0.77');
    const linux = online(r, 'linux').clientId;
    const collect = () =>
      r.svc.collect({
        clientId: linux,
        artifacts: ['Linux.Sys.Crontab'],
        parameters: { 'Linux.Sys.Crontab': {} },
      });
    await collect();
    const mark = r.sim.receivedQueries().length;
    await collect();
    await collect();
    const sent = sentVql(r, mark);
    expect(sent.filter((q) => q.includes('collect_client('))).toHaveLength(2);
    expect(sent.filter((q) => q.includes('artifact_definitions('))).toEqual([]);
    expect(await r.svc.serverVersion()).toBe('0.77.2');
    expect(await at('0.75').svc.serverVersion()).toBe('0.75.7');
  });

  it('12.2.5 (N2) a hunt with tags on 0.75 is refused saying tags came with 0.77; on 0.77 it is created with them', async () => {
    const input = { description: 'tagged', artifacts: ['Generic.Client.Info'], tags: ['ir-42'] };
    const old = at('0.75');
    const mark = old.sim.receivedQueries().length;
    const err = await old.svc.createHunt(input).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('INVALID_ARGUMENT');
    expect((err as Error).message).toMatch(/hunt\(\) on .*0\.75\.7.* takes no tags .*0\.77/);
    expect(sentVql(old, mark).filter((q) => q.includes('hunt('))).toEqual([]);
    // Without tags the same hunt is created on 0.75.
    const { huntId: plain } = await old.svc.createHunt({ ...input, tags: [] });
    expect(plain).toMatch(/^H\./);
    const { huntId } = await at('0.77').svc.createHunt(input);
    expect((await at('0.77').svc.huntStatus(huntId)).tags).toEqual(['ir-42']);
  });
});
