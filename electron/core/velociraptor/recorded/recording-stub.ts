/**
 * An ApiStub that passes every call to a real one and keeps what went over the wire: the VQL and env
 * of each Query with every response message as the server sent it (raw log text, Columns, the rows
 * of `Response`), and each VFSGetBuffer request with the size (or error) of its answer. The product's
 * own operations run unchanged on top of it, so a recording holds exactly the queries the product
 * sends and the answers a server gave to them.
 */
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import type { CallOptions, ClientReadableStream } from '@grpc/grpc-js';
import type { VQLCollectorArgs } from '../../../../proto/gen/proto/VQLCollectorArgs';
import type { VFSFileBuffer__Output } from '../../../../proto/gen/proto/VFSFileBuffer';
import { toNumber, type ApiStub, type RawVQLResponse } from '../query/wire';

export type WireMessage =
  | { log: string }
  | { columns: string[]; queryId: number; part: number; rows: unknown[] }
  | { jsonl: string; columns: string[]; queryId: number };

export interface WireError {
  /** gRPC status code. */
  code: number;
  details: string;
}

export interface QueryExchange {
  kind: 'query';
  vql: string;
  env: Record<string, string>;
  messages: WireMessage[];
  error?: WireError;
}

export interface BufferExchange {
  kind: 'buffer';
  components: string[];
  clientIdSet: boolean;
  offset: number;
  length: number;
  /** Bytes answered and their sha256; absent on error. */
  bytes?: number;
  sha256?: string;
  error?: WireError;
}

export type Exchange = QueryExchange | BufferExchange;

function wireError(e: unknown): WireError {
  const err = e as { code?: unknown; details?: unknown; message?: unknown };
  return {
    code: typeof err.code === 'number' ? err.code : -1,
    details: String(err.details ?? err.message ?? e),
  };
}

function decodeRows(body: Buffer): unknown[] {
  const parsed: unknown = JSON.parse(body.toString('utf8'));
  return Array.isArray(parsed) ? parsed : [parsed];
}

export class RecordingStub {
  private log: Exchange[] = [];

  constructor(private readonly inner: ApiStub) {}

  /** Everything recorded since the last take(), oldest first; the list starts empty again. */
  take(): Exchange[] {
    const out = this.log;
    this.log = [];
    return out;
  }

  /** The stub to hand to the product (registry `createClient`). */
  readonly stub: ApiStub = {
    Query: (args: VQLCollectorArgs, options?: CallOptions): ClientReadableStream<RawVQLResponse> =>
      this.query(args, options),
    VFSGetBuffer: ((...a: unknown[]) => this.buffer(a)) as unknown as ApiStub['VFSGetBuffer'],
    Check: ((...a: unknown[]) =>
      (this.inner.Check as unknown as (...x: unknown[]) => unknown)(...a)) as unknown as ApiStub['Check'],
    close: () => this.inner.close(),
  };

  private query(args: VQLCollectorArgs, options?: CallOptions): ClientReadableStream<RawVQLResponse> {
    const ex: QueryExchange = {
      kind: 'query',
      vql: (args.Query ?? []).map((q) => q.VQL ?? '').join('\n'),
      env: Object.fromEntries((args.env ?? []).map((e) => [e.key ?? '', e.value ?? ''])),
      messages: [],
    };
    this.log.push(ex);
    const call = options ? this.inner.Query(args, options) : this.inner.Query(args);
    // A pass-through keeps the product's `for await` and back-pressure; cancel() reaches the real call.
    const out = new PassThrough({ objectMode: true });
    call.on('data', (m: RawVQLResponse) => {
      if (m.log) ex.messages.push({ log: m.log });
      else if (m.Response?.length)
        ex.messages.push({
          columns: m.Columns ?? [],
          queryId: toNumber(m.query_id),
          part: toNumber(m.part),
          rows: decodeRows(m.Response),
        });
      else if (m.JSONLResponse)
        ex.messages.push({
          jsonl: m.JSONLResponse,
          columns: m.Columns ?? [],
          queryId: toNumber(m.query_id),
        });
      if (!out.write(m)) call.pause();
    });
    out.on('drain', () => call.resume());
    call.on('end', () => out.end());
    call.on('error', (e: unknown) => {
      ex.error = wireError(e);
      out.destroy(e as Error);
    });
    return Object.assign(out, {
      cancel: () => call.cancel(),
      getPeer: () => call.getPeer(),
      getAuthContext: () => call.getAuthContext(),
    }) as unknown as ClientReadableStream<RawVQLResponse>;
  }

  private buffer(a: unknown[]): unknown {
    const [req, ...rest] = a as [
      { components?: string[]; client_id?: string; offset?: number; length?: number },
      ...unknown[],
    ];
    const ex: BufferExchange = {
      kind: 'buffer',
      components: req.components ?? [],
      clientIdSet: !!req.client_id,
      offset: Number(req.offset ?? 0),
      length: Number(req.length ?? 0),
    };
    this.log.push(ex);
    const cbIndex = rest.findIndex((x) => typeof x === 'function');
    const cb = rest[cbIndex] as (err: unknown, res?: VFSFileBuffer__Output) => void;
    rest[cbIndex] = (err: unknown, res?: VFSFileBuffer__Output): void => {
      if (err) ex.error = wireError(err);
      else {
        const data = res?.data ?? Buffer.alloc(0);
        ex.bytes = data.length;
        ex.sha256 = createHash('sha256').update(data).digest('hex');
      }
      cb(err, res);
    };
    return (this.inner.VFSGetBuffer as unknown as (...x: unknown[]) => unknown)(req, ...rest);
  }
}
