/**
 * Findings beyond issue 12's 18 items, seen on the real Velociraptor 0.75.7 and 0.77.2 servers
 * (docs/real-server-conformance.md), each checked against the simulator, which behaves as the real
 * servers did: N1 function errors logged without ERROR:, N3 a server flow missing from flows() for
 * a moment, N15 label() on an unknown id creating a ghost client, N18 waitForFlow's abort
 * listeners, N20 the "server" pseudo-client in clients().
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../../shared/errors';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { loadApiConfig } from './config/api-config';
import type { VelociraptorConnection } from './connection';
import { callBuiltFunction, functionQuery } from './operations/common';
import { waitForFlow } from './operations/flows';
import { ConnectionRegistry } from './registry';
import { VelociraptorService } from './service';
import { vql } from './vql/builder';

let sim: RunningSimulator;
let registry: ConnectionRegistry;
let conn: VelociraptorConnection;
let svc: VelociraptorService;

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', speed: 50 });
  registry = new ConnectionRegistry();
  registry.addConfig('sim', loadApiConfig(await sim.mintApiConfig('findings', ['administrator'])));
  conn = registry.connection('sim');
  svc = new VelociraptorService(conn);
}, 60_000);

afterAll(async () => {
  registry?.close();
  await sim?.stop();
});

function sentSince(mark: number): string[] {
  return sim
    .receivedQueries()
    .slice(mark)
    .flatMap((q) => q.queries.map((x) => x.VQL));
}

/** `conn`, except that the first `misses` flows() reads answer no row (as a real server may). */
function lagging(misses: number): VelociraptorConnection {
  let left = misses;
  return new Proxy(conn, {
    get(target, prop) {
      if (prop === 'queryRows')
        return (async (q, o) => {
          if (q.vql.includes('FROM flows(') && left > 0) {
            left -= 1;
            return { rows: [], columns: [], logs: [] };
          }
          return target.queryRows(q, o);
        }) satisfies VelociraptorConnection['queryRows'];
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

describe('real-server findings', () => {
  it('N1 a function that answers null reports the reason it logged without ERROR:', async () => {
    const err = await callBuiltFunction(
      conn,
      functionQuery(vql`user()`),
      Object as never,
      {},
      'user()',
    ).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('VQL_ERROR');
    expect((err as Error).message).toContain('user: Field user is required');
    expect((err as Error).message).not.toContain('logged no reason');
  });

  it('N3 waiting for a server flow that flows() does not list yet waits instead of failing', async () => {
    const { flowId } = await svc.collect({ clientId: 'server', artifacts: ['Generic.Client.Info'] });
    const f = await waitForFlow(lagging(2), 'server', flowId, { timeoutMs: 30_000, pollMs: 50 });
    expect(f.done).toBe(true);
  });

  it('N15 labelling an unknown client is refused before label() runs, so no ghost client is made', async () => {
    const ghost = 'C.00000000000000fe';
    const mark = sim.receivedQueries().length;
    const err = await svc.setLabels(ghost, ['x-ghost'], 'set').catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('NOT_FOUND');
    expect(sentSince(mark).filter((q) => q.includes('label('))).toEqual([]);
    expect(await svc.searchClients({ search: 'label:x-ghost', limit: 10 })).toEqual([]);
  });

  it('N18 a long wait leaves no abort listener behind per poll', async () => {
    const offline = (await svc.searchClients({ search: 'all', limit: 500 })).find((c) => !c.online)!;
    const { flowId } = await svc.collect({ clientId: offline.clientId, artifacts: ['Generic.Client.Info'] });
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const err = await waitForFlow(conn, offline.clientId, flowId, { timeoutMs: 1_500, pollMs: 5 }).catch(
        (e: unknown) => e,
      );
      expect(isAppError(err) && err.code).toBe('TIMEOUT');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => w.includes('MaxListenersExceeded'))).toEqual([]);
  });

  it('N20 the "server" pseudo-client is not listed as an endpoint once server collections ran', async () => {
    await svc.collectAndWait(
      { clientId: 'server', artifacts: ['Generic.Client.Info'] },
      { timeoutMs: 30_000 },
    );
    const raw = await conn.queryRows(
      { vql: "SELECT client_id FROM clients() WHERE client_id = 'server'", env: {} },
      {},
    );
    expect(raw.rows).toHaveLength(1); // the server lists it, as the real one does
    const all = await svc.searchClients({ search: 'all', limit: 1000 });
    expect(all.map((c) => c.clientId)).not.toContain('server');
  });
});
