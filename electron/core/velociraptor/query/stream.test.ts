/**
 * The Query stream against a scripted gRPC server (mTLS, loopback): event typing, back-pressure,
 * cancellation reaching the server, deadlines.
 */
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VQLCollectorArgs__Output } from '../../../../proto/gen/proto/VQLCollectorArgs';
import type { VQLResponse } from '../../../../proto/gen/proto/VQLResponse';
import { api } from '../../../../proto/load';
import { isAppError } from '../../../../shared/errors';
import { loadApiConfig } from '../config/api-config';
import { ConnectionRegistry } from '../registry';
import { createTestPki, mintApiConfigFields, toYaml } from '../testing/mint';
import { userQuery } from '../vql/builder';
import { parseRowRange } from './batch-parse';
import type { QueryEvent } from './stream';

type Script = (
  call: grpc.ServerWritableStream<VQLCollectorArgs__Output, VQLResponse>,
  state: ServerState,
) => void;
interface ServerState {
  written: number;
  cancelled: boolean;
  lastArgs?: VQLCollectorArgs__Output;
}

let server: grpc.Server;
let registry: ConnectionRegistry;
const state: ServerState = { written: 0, cancelled: false };
let script: Script = () => undefined;

const ROW = JSON.stringify({ pad: 'x'.repeat(2000) });
const BATCH = `[${Array.from({ length: 100 }, () => ROW).join(',')}]`; // ~200 kB

beforeAll(async () => {
  const pki = await createTestPki();
  server = new grpc.Server();
  server.addService(api().proto.API.service, {
    Query: (call: grpc.ServerWritableStream<VQLCollectorArgs__Output, VQLResponse>) => {
      state.written = 0;
      state.cancelled = false;
      state.lastArgs = call.request;
      call.on('cancelled', () => (state.cancelled = true));
      script(call, state);
    },
    VFSGetBuffer: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, {}),
    Check: (_c: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { status: 'SERVING' }),
  });
  const creds = grpc.ServerCredentials.createSsl(
    Buffer.from(pki.ca.certificatePem),
    [
      {
        cert_chain: Buffer.from(pki.server.certificatePem),
        private_key: Buffer.from(pki.server.privateKeyPem),
      },
    ],
    true,
  );
  const port = await new Promise<number>((res, rej) =>
    server.bindAsync('127.0.0.1:0', creds, (e, p) => (e ? rej(e) : res(p))),
  );
  registry = new ConnectionRegistry();
  registry.addConfig(
    'scripted',
    loadApiConfig(toYaml(await mintApiConfigFields(pki, 'tester', `127.0.0.1:${port}`))),
  );
});

afterAll(() => {
  registry.close();
  server.forceShutdown();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('streamQuery', () => {
  it('yields typed rows and log events and always sends max_row', async () => {
    script = (call) => {
      call.write({ log: 'Starting query execution.\n', timestamp: 1 });
      call.write({
        Response: '[{"a":1,"b":18446744073709551615}]',
        Columns: ['a', 'b'],
        query_id: 1,
        part: 0,
        timestamp: 2,
        Query: { Name: 'n', VQL: 'q' },
      });
      call.write({ log: 'WARN:careful\n', timestamp: 3 });
      call.write({ Response: '[]', query_id: 1, part: 1, timestamp: 4, Query: { Name: 'n', VQL: 'q' } });
      call.end();
    };
    const events: QueryEvent[] = [];
    for await (const ev of registry.connection('scripted', 'O1').query(userQuery('SELECT 1 FROM scope()')))
      events.push(ev);
    expect(state.lastArgs?.max_row).toBe('1000');
    expect(state.lastArgs?.org_id).toBe('O1');
    expect(events[0]).toMatchObject({ type: 'log', level: 'INFO', message: 'Starting query execution.' });
    expect(events[1]).toMatchObject({
      type: 'rows',
      columns: ['a', 'b'],
      queryId: 1,
      part: 0,
      rows: [{ a: 1, b: 18446744073709551615n }],
    });
    expect(events[2]).toMatchObject({ type: 'log', level: 'WARN', message: 'careful' });
    expect(events[3]).toMatchObject({ type: 'rows', rows: [], part: 1 });
  });

  it('pauses the server when the consumer is slow (back-pressure)', async () => {
    const total = 400; // 400 × 200 kB = 80 MB if nothing held the server back
    script = (call, s) => {
      const pump = (): void => {
        while (s.written < total && !s.cancelled) {
          s.written++;
          if (!call.write({ Response: BATCH, Columns: ['pad'], timestamp: 1 })) {
            call.once('drain', pump);
            return;
          }
        }
        if (!s.cancelled) call.end();
      };
      pump();
    };
    const it = registry.connection('scripted').query(userQuery('x'))[Symbol.asyncIterator]();
    await it.next();
    await sleep(600);
    const whilePaused = state.written;
    await sleep(300);
    expect(state.written).toBe(whilePaused); // blocked, not producing
    expect(whilePaused).toBeLessThan(total / 2);
    let n = 1;
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      n++;
    }
    expect(n).toBe(total);
  });

  it('an AbortSignal cancels the call on the server and raises CANCELLED', async () => {
    script = (call, s) => {
      const tick = setInterval(() => {
        if (s.cancelled) return clearInterval(tick);
        call.write({ Response: '[{"a":1}]', timestamp: 1 });
      }, 10);
    };
    const ac = new AbortController();
    let seen = 0;
    const err = await (async () => {
      for await (const ev of registry.connection('scripted').query(userQuery('x'), { signal: ac.signal })) {
        if (ev.type === 'rows' && ++seen === 3) ac.abort();
      }
    })().catch((e: unknown) => e);
    expect(isAppError(err, 'CANCELLED')).toBe(true);
    await sleep(100);
    expect(state.cancelled).toBe(true);
  });

  it('breaking out of the loop cancels the call on the server', async () => {
    script = (call, s) => {
      const tick = setInterval(() => {
        if (s.cancelled) return clearInterval(tick);
        call.write({ Response: '[{"a":1}]', timestamp: 1 });
      }, 10);
    };
    for await (const ev of registry.connection('scripted').query(userQuery('x')))
      if (ev.type === 'rows') break;
    await sleep(100);
    expect(state.cancelled).toBe(true);
  });

  it('a client deadline ends a silent stream with TIMEOUT', async () => {
    script = () => undefined; // never answers
    const t = Date.now();
    const err = await (async () => {
      for await (const _ of registry.connection('scripted').query(userQuery('x'), { deadlineMs: 300 }))
        void _;
    })().catch((e: unknown) => e);
    expect(isAppError(err, 'TIMEOUT')).toBe(true);
    expect(Date.now() - t).toBeLessThan(3_000);
  });

  it('queryRows throws the VQL error a log line reports, after collecting the stream', async () => {
    script = (call) => {
      call.write({ Response: '[{"a":1}]', timestamp: 1 });
      call.write({ log: 'ERROR:Symbol foo not found. Current Scope is: [a]\n', timestamp: 2 });
      call.end();
    };
    const err = await registry
      .connection('scripted')
      .queryRows(userQuery('x'))
      .catch((e: unknown) => e);
    expect(isAppError(err, 'VQL_ERROR')).toBe(true);
    const ok = await registry.connection('scripted').queryRows(userQuery('x'), { failOnLogErrors: false });
    expect(ok.rows).toEqual([{ a: 1 }]);
    expect(ok.logs[0]?.problem).toBe('VQL_ERROR');
  });

  it('raw mode: rows events carry the bytes, the exact count and the delimiters instead of parsed rows', async () => {
    const small = '[{"a":1,"s":"},{\\"a\\":2}"},{"a":[{"b":18446744073709551615}]}]';
    script = (call) => {
      call.write({ log: 'Starting query execution.\n', timestamp: 1 });
      call.write({ Response: small, Columns: ['a', 's'], query_id: 1, part: 0, timestamp: 2 });
      call.write({ Response: BATCH, Columns: ['pad'], query_id: 1, part: 1, timestamp: 3 });
      call.write({ Response: '[]', query_id: 1, part: 2, timestamp: 4, Query: { Name: 'n', VQL: 'q' } });
      call.write({
        JSONLResponse: '{"j":1}\n{"j":2}\n',
        query_id: 1,
        part: 3,
        timestamp: 5,
        Query: { Name: 'n', VQL: 'q' },
      });
      call.end();
    };
    const events: QueryEvent[] = [];
    for await (const ev of registry
      .connection('scripted')
      .query(userQuery('x'), { raw: true, bigInts: 'string' }))
      events.push(ev);
    const rows = events.filter((e) => e.type === 'rows');
    expect(rows.map((e) => (e.type === 'rows' ? [e.rows.length, e.raw?.count] : null))).toEqual([
      [0, 2],
      [0, 100],
      [0, 0],
      [2, undefined], // JSONLResponse batches are parsed as before
    ]);
    const first = rows[0]?.type === 'rows' ? rows[0].raw : undefined;
    expect(first?.bytes.toString()).toBe(small);
    expect(first && parseRowRange(first.bytes, first.delims, 0, first.count, 'string')).toEqual([
      { a: 1, s: '},{"a":2}' },
      { a: [{ b: '18446744073709551615' }] },
    ]);
    expect(rows[1]).toMatchObject({ columns: ['pad'], part: 1 });
  });

  it('a malformed batch fails the stream with the same error in raw and parsed mode', async () => {
    script = (call) => {
      call.write({ Response: '[{"a":1}]', timestamp: 1 });
      call.write({ Response: '[{"a":"unterminated}]', timestamp: 2 });
      call.end();
    };
    const run = async (raw: boolean): Promise<unknown> => {
      try {
        for await (const _ of registry.connection('scripted').query(userQuery('x'), { raw })) void _;
      } catch (e) {
        return e;
      }
      return null;
    };
    const [parsed, raw] = [await run(false), await run(true)];
    expect(isAppError(parsed, 'INTERNAL')).toBe(true);
    expect(isAppError(raw, 'INTERNAL')).toBe(true);
    expect((raw as Error).message).toBe((parsed as Error).message);
    expect((raw as Error).message).toMatch(/not valid JSON/);
  });

  it('queryRows parses raw batches', async () => {
    script = (call) => {
      call.write({ Response: '[{"a":1},{"a":18446744073709551615}]', Columns: ['a'], timestamp: 1 });
      call.end();
    };
    const r = await registry.connection('scripted').queryRows(userQuery('x'), { raw: true });
    expect(r.rows).toEqual([{ a: 1 }, { a: 18446744073709551615n }]);
  });
});
