/**
 * A wait that runs out: waitForFlow reports TIMEOUT with the flow id in its details, and
 * collectAndWait (the MCP collect tools) answers with the flow still running instead of failing.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { isAppError } from '../../../../shared/errors';
import { startSimulator, type RunningSimulator } from '../../sim/index';
import { ConnectionRegistry } from '../registry';
import { VelociraptorService } from '../service';

let sim: RunningSimulator;
let registry: ConnectionRegistry;
let svc: VelociraptorService;

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', speed: 40 });
  registry = new ConnectionRegistry();
  registry.add('lab', await sim.mintApiConfig('admin', ['administrator']));
  svc = new VelociraptorService(registry.connection('lab'));
}, 60_000);

afterAll(async () => {
  registry.close();
  await sim.stop();
});

it('collectAndWait on an offline client reports the launched flow as unfinished when the wait runs out', async () => {
  const off = (await svc.searchClients({ search: 'all', limit: 100 })).find((c) => !c.online);
  expect(off, 'the dataset has an offline client').toBeDefined();
  const r = await svc.collectAndWait(
    { clientId: off!.clientId, artifacts: ['Generic.Client.Info'] },
    { timeoutMs: 800, pollMs: 200 },
  );
  expect(r).toMatchObject({ finished: false, state: 'WAITING', results: {} });
  expect(r.flowId).toMatch(/^F\./);
  // The id is the real flow: the server knows it, and it has not finished.
  const st = await svc.flowStatus(off!.clientId, r.flowId);
  expect(st.done).toBe(false);
});

it('waitForFlow that runs out fails with TIMEOUT naming the flow', async () => {
  const off = (await svc.searchClients({ search: 'all', limit: 100 })).find((c) => !c.online)!;
  const f = await svc.collect({ clientId: off.clientId, artifacts: ['Generic.Client.Info'] });
  const err = await svc.waitForFlow(off.clientId, f.flowId, { timeoutMs: 600, pollMs: 200 }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isAppError(err) && err.code).toBe('TIMEOUT');
  expect(isAppError(err) ? err.details?.flowId : undefined).toBe(f.flowId);
});
