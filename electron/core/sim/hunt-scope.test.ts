/**
 * matchesHuntScope is the one rule for "which clients does this hunt reach" (the app's estimate, the
 * MCP preview, the simulator's scheduler). Property: for any OS / include / exclude combination, in
 * any letter case, the clients the simulator's hunt() actually schedules are exactly the online
 * clients the rule accepts — checked end to end through hunt() and hunt_flows() over gRPC.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchesHuntScope, type HuntOs } from '../../../shared/hunt-scope';
import { ConnectionRegistry } from '../velociraptor/registry';
import { VelociraptorService } from '../velociraptor/service';
import type { ClientSummary } from '../velociraptor/operations/clients';
import { startSimulator, type RunningSimulator } from './index';

let clock = Date.now();
let sim: RunningSimulator;
let registry: ConnectionRegistry;
let svc: VelociraptorService;
let clients: ClientSummary[];
let labels: string[];

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', now: () => clock });
  registry = new ConnectionRegistry();
  registry.add('sim', await sim.mintApiConfig('scope-admin', ['administrator']));
  svc = new VelociraptorService(registry.connection('sim'));
  clients = await svc.searchClients({ search: 'all', limit: 1000 });
  labels = [...new Set(clients.flatMap((c) => c.labels))].sort();
}, 60_000);

afterAll(async () => {
  registry?.close();
  await sim?.stop();
});

/** A label of the dataset (or one no client has), written in any mix of upper and lower case. */
const anyCase = (s: string) =>
  fc
    .array(fc.boolean(), { minLength: s.length, maxLength: s.length })
    .map((up) => [...s].map((ch, i) => (up[i] ? ch.toUpperCase() : ch.toLowerCase())).join(''));

describe('hunt scope', () => {
  it('the labels of the dataset cover several clients each', () => {
    expect(labels.length).toBeGreaterThan(4);
  });

  it('matchesHuntScope agrees with the clients the simulator schedules for every scope', async () => {
    const label = fc.oneof(fc.constantFrom(...labels, 'NoClientHasThis'));
    const scope = fc.record({
      os: fc.constantFrom<HuntOs | ''>('', 'windows', 'linux', 'darwin'),
      includeLabels: fc.array(label.chain(anyCase), { maxLength: 3 }),
      excludeLabels: fc.array(label.chain(anyCase), { maxLength: 2 }),
    });
    await fc.assert(
      fc.asyncProperty(scope, async (s) => {
        const created = await svc.runVql(
          'SELECT hunt(description="scope property", artifacts="Generic.Client.Info", include_labels=parse_json_array(data=Inc), exclude_labels=parse_json_array(data=Exc), os=Os, pause=FALSE).HuntId AS HuntId FROM scope()',
          { Inc: JSON.stringify(s.includeLabels), Exc: JSON.stringify(s.excludeLabels), Os: s.os },
        );
        const huntId = created.rows[0]?.HuntId;
        if (typeof huntId !== 'string')
          throw new Error(`hunt() created nothing: ${JSON.stringify(created.logs)}`);
        clock += 3_600_000; // every eligible client gets its turn
        const scheduled = new Set((await svc.huntFlows(huntId, { limit: 1000 })).map((f) => f.clientId));
        const online = (await svc.searchClients({ search: 'all', limit: 1000 })).filter((c) => c.online);
        const expected = new Set(online.filter((c) => matchesHuntScope(s, c)).map((c) => c.clientId));
        expect([...scheduled].sort()).toEqual([...expected].sort());
      }),
      { numRuns: 40 },
    );
  }, 120_000);
});
