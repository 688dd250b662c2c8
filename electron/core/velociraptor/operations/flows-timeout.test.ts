/**
 * A wait that runs out reports TIMEOUT with the flow id in its details, so a caller that launched
 * the flow in the same call (collectAndWait, the MCP collect tools) can still report which flow
 * keeps running.
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

it('collectAndWait on an offline client fails with TIMEOUT naming the launched flow', async () => {
  const off = (await svc.searchClients({ search: 'all', limit: 100 })).find((c) => !c.online);
  expect(off, 'the dataset has an offline client').toBeDefined();
  const err = await svc
    .collectAndWait(
      { clientId: off!.clientId, artifacts: ['Generic.Client.Info'] },
      { timeoutMs: 800, pollMs: 200 },
    )
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(isAppError(err) && err.code).toBe('TIMEOUT');
  const flowId = isAppError(err) ? err.details?.flowId : undefined;
  expect(flowId).toMatch(/^F\./);
  // The id is the real flow: the server knows it, and it has not finished.
  const st = await svc.flowStatus(off!.clientId, String(flowId));
  expect(st.done).toBe(false);
});
