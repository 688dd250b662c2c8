import * as grpc from '@grpc/grpc-js';
import { expect, it } from 'vitest';
import { startSimulator } from './index';
import { connect, query } from './test-client';

it('kill() drops every connection at once: a streaming client sees the server die midway', async () => {
  const sim = await startSimulator();
  const client = connect(await sim.mintApiConfig('u', ['api']));
  let killed = false;
  const r = await query(
    client,
    "SELECT * FROM watch_monitoring(artifact='System.Flow.Completion')",
    { timeout: 30 },
    (m) => {
      if (!killed && m.log.startsWith('Starting')) {
        killed = true;
        sim.kill();
      }
    },
  );
  expect(killed).toBe(true);
  expect(r.error).not.toBeNull();
  expect([grpc.status.UNAVAILABLE, grpc.status.CANCELLED, grpc.status.INTERNAL]).toContain(r.error?.code);
  client.close();
});
