/**
 * The streaming Query call as an async iterator of typed events. Back-pressure is the Readable's:
 * grpc-js only asks HTTP/2 for the next message when the consumer has pulled the buffered ones,
 * so a slow consumer pauses the server through flow control. Breaking out of the loop, aborting
 * the signal or a deadline cancels the call, which ends the query on the server.
 */
import type { ClientReadableStream } from '@grpc/grpc-js';
import type { VQLCollectorArgs } from '../../../../proto/gen/proto/VQLCollectorArgs';
import { AppError, type ErrorCode } from '../../../../shared/errors';
import { mapGrpcError } from '../grpc-errors';
import type { BuiltQuery } from '../vql/builder';
import { invalidBatch, parseRowsBuffer } from './batch-parse';
import { parseRows, type BigIntMode, type Row } from './json';
import { classifyLog, type LogLevel } from './logs';
import { scanRows } from './row-scan';
import { toNumber, type ApiStub, type RawVQLResponse } from './wire';

export const DEFAULT_MAX_ROW = 1000;
export const DEFAULT_MAX_WAIT_S = 1;

export interface QueryOptions {
  /** Rows per response message; always sent (0 makes the server send one row per message). */
  maxRow?: number;
  /** Seconds after which the server flushes buffered rows. */
  maxWait?: number;
  /** Server-side VQL timeout in seconds (the server cancels the query). */
  timeoutSeconds?: number;
  /** Client-side deadline for the whole call, in ms from now. */
  deadlineMs?: number;
  signal?: AbortSignal;
  /** Org to run in; defaults to the connection's org. */
  orgId?: string;
  cpuLimit?: number;
  /** How integers beyond 2^53 come back. Default 'bigint'. */
  bigInts?: BigIntMode;
  /** Free label echoed in server logs. */
  name?: string;
  /**
   * Rows events carry the batch's bytes and exact row count (`raw`) instead of parsed rows, for a
   * consumer that keeps results and parses only what it shows (the result store). `rows` is then
   * empty, except for batches that came as JSONLResponse, which are parsed as usual. Default false.
   */
  raw?: boolean;
}

/** One batch, unparsed: `Response` as received and where its rows are (row-scan.ts). */
export interface RawRows {
  bytes: Buffer;
  /** Exact number of rows in `bytes`. */
  count: number;
  /** `scanRows` delimiters: parse rows a..b-1 with `parseRowRange(bytes, delims, a, b)`. */
  delims: Uint32Array;
}

export interface RowsEvent {
  type: 'rows';
  /** The batch's rows; empty when `raw` is set. */
  rows: Row[];
  /** Set instead of `rows` in raw mode (QueryOptions.raw). */
  raw?: RawRows;
  columns: string[];
  /** Index of the statement in the VQL text (LETs count). */
  queryId: number;
  part: number;
  timestampUs: number;
}

export interface LogEvent {
  type: 'log';
  level: LogLevel;
  message: string;
  /** Set when the line reports a failure (VQL error, permission, timeout). */
  problem?: ErrorCode;
  timestampUs: number;
}

export type QueryEvent = RowsEvent | LogEvent;

export function collectorArgs(q: BuiltQuery, opts: QueryOptions, defaultOrg: string): VQLCollectorArgs {
  const maxRow = opts.maxRow ?? DEFAULT_MAX_ROW;
  if (!Number.isSafeInteger(maxRow) || maxRow < 1)
    throw new AppError('INVALID_ARGUMENT', 'max_row must be a positive integer.');
  return {
    Query: [{ Name: opts.name ?? 'megaraptor', VQL: q.vql }],
    env: Object.entries(q.env).map(([key, value]) => ({ key, value })),
    max_row: maxRow,
    max_wait: Math.max(1, Math.round(opts.maxWait ?? DEFAULT_MAX_WAIT_S)),
    timeout: opts.timeoutSeconds === undefined ? 0 : Math.max(1, Math.ceil(opts.timeoutSeconds)),
    org_id: opts.orgId ?? defaultOrg,
    ...(opts.cpuLimit === undefined ? {} : { cpu_limit: opts.cpuLimit }),
  };
}

function toEvent(m: RawVQLResponse, mode: BigIntMode, raw: boolean): QueryEvent | undefined {
  const timestampUs = toNumber(m.timestamp);
  if (m.log) {
    const c = classifyLog(m.log);
    return c.problem === undefined
      ? { type: 'log', level: c.level, message: c.message, timestampUs }
      : { type: 'log', level: c.level, message: c.message, problem: c.problem, timestampUs };
  }
  const body = m.Response;
  if (!body?.length && !m.JSONLResponse && !m.Query) return undefined;
  const base = {
    type: 'rows',
    columns: m.Columns ?? [],
    queryId: toNumber(m.query_id),
    part: toNumber(m.part),
    timestampUs,
  } as const;
  if (raw && body?.length) {
    // scanRows throws invalidBatch itself; a batch it accepts but JSON.parse refuses fails when parsed.
    const { count, delims } = scanRows(body);
    return { ...base, rows: [], raw: { bytes: body, count, delims } };
  }
  let rows: Row[];
  try {
    rows = body?.length ? parseRowsBuffer(body, mode) : parseJsonl(m.JSONLResponse ?? '', mode);
  } catch (cause) {
    throw invalidBatch(cause);
  }
  return { ...base, rows };
}

function parseJsonl(text: string, mode: BigIntMode): Row[] {
  if (!text) return [];
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => parseRows(`[${l}]`, mode));
}

/** Runs one query; yields rows and log events until the server ends the stream. */
export async function* streamQuery(
  client: ApiStub,
  serverLabel: string,
  q: BuiltQuery,
  opts: QueryOptions = {},
  defaultOrg = '',
): AsyncGenerator<QueryEvent, void, undefined> {
  const args = collectorArgs(q, opts, defaultOrg);
  if (opts.signal?.aborted) throw new AppError('CANCELLED', 'The query was cancelled before it started.');
  const call: ClientReadableStream<RawVQLResponse> =
    opts.deadlineMs === undefined
      ? client.Query(args)
      : client.Query(args, { deadline: Date.now() + opts.deadlineMs });
  const onAbort = (): void => call.cancel();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const mode = opts.bigInts ?? 'bigint';
  const raw = opts.raw === true;
  try {
    for await (const m of call as AsyncIterable<RawVQLResponse>) {
      const ev = toEvent(m, mode, raw);
      if (ev) yield ev;
    }
  } catch (e) {
    if (opts.signal?.aborted) throw new AppError('CANCELLED', 'The query was cancelled.', { cause: e });
    throw mapGrpcError(e, serverLabel);
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    // No-op after a normal end; when the consumer stops early it tells the server to stop.
    call.cancel();
  }
}
