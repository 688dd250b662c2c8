/**
 * Audit concerns "global singleton client" and "one connection per process; requests to different
 * servers serialize": one registry holds several servers, each with its own channel, and a query
 * held open on one server never delays another; two registries in one process share nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator, type RunningSimulator } from '../sim/index';
import { ConnectionRegistry } from './registry';
import { userQuery } from './vql/builder';

let a: RunningSimulator;
let b: RunningSimulator;
let yamlA: string;
let yamlB: string;

beforeAll(async () => {
  [a, b] = await Promise.all([startSimulator({ speed: 40 }), startSimulator({ speed: 40 })]);
  [yamlA, yamlB] = await Promise.all([
    a.mintApiConfig('ra', ['investigator']),
    b.mintApiConfig('rb', ['investigator']),
  ]);
});

afterAll(async () => {
  await Promise.all([a.stop(), b.stop()]);
});

async function count(reg: ConnectionRegistry, name: string, vql: string): Promise<number> {
  let n = 0;
  for await (const ev of reg.connection(name).query(userQuery(vql), { maxRow: 100 }))
    if (ev.type === 'rows') n += ev.rows.length;
  return n;
}

describe('several servers at once', () => {
  it('answers server B in full while a stream on server A is held open mid-way', async () => {
    const reg = new ConnectionRegistry();
    try {
      reg.add('a', yamlA);
      reg.add('b', yamlB);
      // Pull A's first batch, then stop pulling: the call stays open with the server paused by flow control.
      const stream = reg
        .connection('a')
        .query(userQuery('SELECT * FROM simulator_bulk_rows(rows=2000000)'), { maxRow: 1000 });
      const it = stream[Symbol.asyncIterator]();
      let first = await it.next();
      while (!first.done && first.value.type !== 'rows') first = await it.next();
      expect(first.done).toBe(false);

      // B: several complete queries while A is still open, concurrently with each other.
      const counts = await Promise.all([
        count(reg, 'b', 'SELECT client_id FROM clients() LIMIT 7'),
        count(reg, 'b', 'SELECT client_id FROM clients() LIMIT 3'),
      ]);
      expect(counts).toEqual([7, 3]);
      expect(reg.openChannels()).toBe(2);

      // A was not disturbed: its stream goes on from where it stopped.
      const next = await it.next();
      expect(next.done).toBe(false);
      await it.return?.();
      expect(await count(reg, 'a', 'SELECT client_id FROM clients() LIMIT 2')).toBe(2);
    } finally {
      reg.close();
    }
  });

  it('keeps two registries in one process apart: closing one leaves the other working', async () => {
    const one = new ConnectionRegistry();
    const two = new ConnectionRegistry();
    try {
      one.add('lab', yamlA);
      two.add('lab', yamlB); // same name, other server: no shared state
      expect(two.config('lab').connectionString).not.toBe(one.config('lab').connectionString);
      expect(await count(one, 'lab', 'SELECT client_id FROM clients() LIMIT 1')).toBe(1);
      one.close();
      expect(await count(two, 'lab', 'SELECT client_id FROM clients() LIMIT 4')).toBe(4);
      expect(two.openChannels()).toBe(1);
    } finally {
      two.close();
    }
  });
});
