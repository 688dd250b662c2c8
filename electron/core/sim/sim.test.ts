import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { startSimulator, type RunningSimulator } from './index';
import { connect, query } from './test-client';

let sim: RunningSimulator;
let admin: ReturnType<typeof connect>;

beforeAll(async () => {
  sim = await startSimulator({ speed: 1000 });
  admin = connect(await sim.mintApiConfig('admin', ['administrator']));
});
afterAll(async () => {
  admin.close();
  await sim.stop();
});

describe('simulator smoke', () => {
  it('answers info() and clients()', async () => {
    const r = await query(admin, 'SELECT * FROM info()');
    expect(r.error).toBeNull();
    expect(r.logs[0]).toBe('Starting query execution.\n');
    expect(r.rows[0]?.Platform).toMatch(/simulator/i);
    const c = await query(admin, "SELECT client_id, os_info.hostname AS Host FROM clients() WHERE os_info.system = 'windows' LIMIT 3");
    expect(c.rows).toHaveLength(3);
    expect(c.data.at(-1)?.Columns).toEqual(['client_id', 'Host']);
  });

  it('refuses a reader', async () => {
    const reader = connect(await sim.mintApiConfig('reader1', ['reader']));
    const r = await query(reader, 'SELECT * FROM info()');
    expect(r.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    reader.close();
  });
});
