/**
 * Read-only VQL end to end: every case of the bypass corpus through the MCP run_vql tool (SDK
 * client, in-process) against the simulator, asserted on what reaches the server. A refused query
 * never arrives; an allowed one arrives verbatim, sent as the least-privilege identity only. And
 * the server is what enforces: a write that gets past the allow-list is refused by the identity's
 * permissions, and an identity with more than `api` is not used (the call then asks for approval).
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { loadApiConfig } from '../velociraptor/config/api-config';
import { ConnectionRegistry } from '../velociraptor/registry';
import { VelociraptorService } from '../velociraptor/service';
import { ReadOnlyIdentities } from './read-only-identity';
import { connectInProcess, makeHarness, type Harness } from './testing/harness';
import { READ_ONLY_CORPUS } from './testing/readonly-corpus';
import { RegistryServers } from './servers';

let sim: RunningSimulator;
let registry: ConnectionRegistry;
let readOnly: ReadOnlyIdentities;
let h: Harness;
let client: Client;
let clientId: string;
const identities: Record<string, string> = {};

function codeOf(r: CallToolResult): string | undefined {
  if (!r.isError) return undefined;
  const t = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
  return (JSON.parse(t) as { error: { code: string } }).error.code;
}

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1' });
  registry = new ConnectionRegistry();
  registry.addConfig('sim', loadApiConfig(await sim.mintApiConfig('corpus-admin', ['administrator'])));
  registry.addConfig('wide', loadApiConfig(await sim.mintApiConfig('corpus-admin-2', ['administrator'])));
  identities.sim = await sim.mintApiConfig('corpus-reader', ['api']);
  identities.wide = await sim.mintApiConfig('corpus-wide', ['api', 'investigator']);
  readOnly = new ReadOnlyIdentities({
    source: { get: async (s) => identities[s] },
    defaultServer: () => 'sim',
  });
  h = makeHarness(new RegistryServers({ registry, defaultServer: () => 'sim' }), { readOnly });
  client = await connectInProcess(h);
  const svc = new VelociraptorService(registry.connection('sim'));
  clientId = (await svc.searchClients({ search: 'all', limit: 1 }))[0]!.clientId;
  // The identity's first use checks its roles on the server: done before the corpus counts queries.
  const warm = (await client.callTool({
    name: 'run_vql',
    arguments: { query: 'SELECT 1 AS One FROM scope()' },
  })) as CallToolResult;
  expect(warm.isError).toBeFalsy();
}, 60_000);

afterAll(async () => {
  await client?.close();
  readOnly?.close();
  registry?.close();
  await sim?.stop();
});

describe('the bypass corpus through run_vql, on what reaches the simulator', () => {
  it.each(READ_ONLY_CORPUS.map((c) => [c.verdict, c.name, c] as const))('%s: %s', async (_v, _n, c) => {
    const before = sim.receivedQueries().length;
    const r = (await client.callTool(
      { name: 'run_vql', arguments: { query: c.query, env: c.env ?? {}, timeout_seconds: 10 } },
      undefined,
      { timeout: 30_000 },
    )) as CallToolResult;
    const arrived = sim.receivedQueries().slice(before);
    expect(h.broker.list()).toHaveLength(0);
    if (c.verdict === 'refused') {
      expect(codeOf(r)).toBe('POLICY_FORBIDDEN');
      expect(arrived).toEqual([]);
    } else {
      expect(arrived.map((q) => q.user)).toEqual(['corpus-reader']);
      expect(arrived[0]!.queries.map((q) => q.VQL)).toEqual([c.query]);
    }
  });
});

describe('the server enforces read-only', () => {
  it('refuses a write sent as the read-only identity, whatever the allow-list said', async () => {
    const d = await readOnly.decide({ server: 'sim' });
    expect(d.kind).toBe('identity');
    if (d.kind !== 'identity') return;
    const r = await d.service.runVql(
      "SELECT label(client_id=ClientId, labels=['pwned'], op='set') AS L FROM scope()",
      { ClientId: clientId },
      { timeoutSeconds: 10, failOnLogErrors: false },
    );
    expect(r.logs.map((l) => l.message).join(' ')).toMatch(/LABEL_CLIENT/);
    const svc = new VelociraptorService(registry.connection('sim'));
    expect((await svc.getClient(clientId)).labels).not.toContain('pwned');
  });

  it('does not use an identity with more than the api role: run_vql then asks for approval', async () => {
    const d = await readOnly.decide({ server: 'wide' });
    expect(d).toMatchObject({ kind: 'none' });
    expect(d.kind === 'none' && d.reason).toMatch(/api, investigator/);
    const before = sim.receivedQueries().length;
    const pending = client.callTool({
      name: 'run_vql',
      arguments: { query: 'SELECT * FROM hunts()', server: 'wide' },
    });
    await expect.poll(() => h.broker.list().length).toBe(1);
    expect(h.broker.list()[0]!.plan.summary).toMatch(/cannot enforce read-only/);
    // Only the identity's own check reached the server; the query waits for the responder.
    expect(
      sim
        .receivedQueries()
        .slice(before)
        .map((q) => q.user),
    ).toEqual(['corpus-wide']);
    h.broker.decide(h.broker.list()[0]!.id, { decision: 'denied' });
    expect(codeOf((await pending) as CallToolResult)).toBe('APPROVAL_DENIED');
    expect(
      sim
        .receivedQueries()
        .slice(before)
        .map((q) => q.user),
    ).toEqual(['corpus-wide']);
  });
});
