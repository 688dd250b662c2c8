/**
 * The reads the investigation screens need beyond the MCP tools: streamed result sources, a flow's
 * request parameters, hunt scope, artifact sources and a flow zip's components (simulator, mTLS).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../../sim/index';
import type { QueryEvent } from '../query/stream';
import { ConnectionRegistry } from '../registry';
import { VelociraptorService } from '../service';

let sim: RunningSimulator;
let registry: ConnectionRegistry;
let svc: VelociraptorService;

beforeAll(async () => {
  sim = await startSimulator({ speed: 40 });
  registry = new ConnectionRegistry();
  registry.add('lab', await sim.mintApiConfig('admin', ['administrator']));
  svc = new VelociraptorService(registry.connection('lab'));
});

afterAll(async () => {
  registry.close();
  await sim.stop();
});

async function rowsOf(events: AsyncIterable<QueryEvent>): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  for await (const ev of events) if (ev.type === 'rows') out.push(...ev.rows);
  return out;
}

describe('reads for the investigation screens', () => {
  it('streams every row of a flow source and keeps the request parameters', async () => {
    const client = (await svc.searchClients({ search: 'all', limit: 100 })).find((c) => c.os === 'linux')!;
    const launched = await svc.collect({
      clientId: client.clientId,
      artifacts: ['System.VFS.ListDirectory'],
      parameters: { 'System.VFS.ListDirectory': { Path: '/etc', Depth: '0' } },
      urgent: true,
    });
    const flow = await svc.waitForFlow(client.clientId, launched.flowId, { timeoutMs: 60_000, pollMs: 200 });
    expect(flow.parameters['System.VFS.ListDirectory']).toMatchObject({ Path: '/etc', Depth: '0' });
    const source = flow.artifactsWithResults[0] ?? '';
    const streamed = await rowsOf(
      svc.streamFlowResults(
        { clientId: client.clientId, flowId: launched.flowId, artifact: source },
        { bigInts: 'string' },
      ),
    );
    expect(streamed.length).toBeGreaterThan(0);
    expect(streamed).toEqual(
      await svc
        .flowResults({
          clientId: client.clientId,
          flowId: launched.flowId,
          artifact: source,
          limit: 1_000_000,
        })
        .then(
          (rs) =>
            JSON.parse(
              JSON.stringify(rs, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)),
            ) as unknown,
        ),
    );
    const zip = await svc.prepareFlowZip(client.clientId, launched.flowId);
    expect(zip.at(-1)).toMatch(/\.zip$/);
  });

  it('reads a hunt scope and streams hunt results', async () => {
    const { huntId } = await svc.createHunt({
      description: 'scope',
      artifacts: ['Generic.Client.Info'],
      includeLabels: ['servers'],
      excludeLabels: ['dev box'],
      start: true,
    });
    const h = await svc.huntStatus(huntId);
    expect(h).toMatchObject({ includeLabels: ['servers'], excludeLabels: ['dev box'], os: '' });
    const byOs = await svc.huntStatus(
      (await svc.createHunt({ description: 'os', artifacts: ['Generic.Client.Info'], os: 'windows' })).huntId,
    );
    expect(byOs.os).toBe('windows');
    const rows = await rowsOf(svc.streamHuntResults(huntId, 'Generic.Client.Info/BasicInformation'));
    expect(Array.isArray(rows)).toBe(true);
  });

  it('lists artifacts with their source names and parameter choices', async () => {
    const arts = await svc.listArtifacts({ limit: 10_000 });
    expect(arts.find((a) => a.name === 'Generic.Client.Info')?.sources.length).toBeGreaterThan(0);
    expect(arts.every((a) => Array.isArray(a.sources))).toBe(true);
  });
});
