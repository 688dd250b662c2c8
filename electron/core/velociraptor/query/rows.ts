/**
 * For callers that want results, not a stream: collects rows, and turns VQL failures that the
 * server only logs into typed AppErrors. Idempotent reads are retried (bounded, with backoff)
 * when the server was unreachable before anything arrived.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../../../../shared/errors';
import { isRetryable } from '../grpc-errors';
import { parseRowRange } from './batch-parse';
import type { Row } from './json';
import type { LogEvent, QueryEvent, QueryOptions } from './stream';

export interface QueryResult {
  rows: Row[];
  /** Columns of the first non-empty batch, in server order. */
  columns: string[];
  logs: LogEvent[];
}

export interface RowsOptions extends QueryOptions {
  /** Safe to run again after a transport failure (reads). Default false. */
  idempotent?: boolean;
  /** Attempts in total for idempotent reads. Default 3. */
  attempts?: number;
  /** Refuse to buffer more rows than this (protects memory). Default 1,000,000. */
  rowLimit?: number;
  /** When false, log-reported failures are left in `logs` instead of thrown. Default true. */
  failOnLogErrors?: boolean;
}

export type StreamFactory = (opts: QueryOptions) => AsyncIterable<QueryEvent>;

export async function collectRows(
  run: StreamFactory,
  serverLabel: string,
  opts: RowsOptions = {},
): Promise<QueryResult> {
  const attempts = opts.idempotent ? Math.max(1, Math.min(opts.attempts ?? 3, 5)) : 1;
  for (let attempt = 1; ; attempt++) {
    const result: QueryResult = { rows: [], columns: [], logs: [] };
    let received = false;
    try {
      for await (const ev of run(opts)) {
        received = true;
        if (ev.type === 'log') {
          result.logs.push(ev);
          continue;
        }
        if (result.columns.length === 0 && ev.columns.length > 0) result.columns = ev.columns;
        // Collecting means parsing: a raw batch (QueryOptions.raw) is parsed here.
        const rows = ev.raw
          ? parseRowRange(ev.raw.bytes, ev.raw.delims, 0, ev.raw.count, opts.bigInts ?? 'bigint')
          : ev.rows;
        for (const r of rows) result.rows.push(r);
        if (result.rows.length > (opts.rowLimit ?? 1_000_000)) {
          throw new AppError(
            'INVALID_ARGUMENT',
            `The query returned more than ${opts.rowLimit ?? 1_000_000} rows; add a LIMIT or stream the results.`,
          );
        }
      }
    } catch (e) {
      if (
        e instanceof AppError &&
        !received &&
        attempt < attempts &&
        isRetryable(e) &&
        !opts.signal?.aborted
      ) {
        await sleep(250 * 2 ** (attempt - 1), undefined, { signal: opts.signal }).catch(() => undefined);
        continue;
      }
      throw e;
    }
    if (opts.failOnLogErrors !== false) throwOnProblem(result.logs, serverLabel);
    return result;
  }
}

export function throwOnProblem(logs: LogEvent[], serverLabel: string): void {
  const bad = logs.find((l) => l.problem !== undefined);
  if (!bad?.problem) return;
  const hint =
    bad.problem === 'PERMISSION_DENIED'
      ? ' Ask a server administrator for the missing permission.'
      : bad.problem === 'TIMEOUT'
        ? ' Raise the timeout or narrow the query.'
        : '';
  throw new AppError(bad.problem, `${serverLabel}: ${bad.message}${hint}`, {
    details: {
      logs: logs
        .filter((l) => l.problem !== undefined)
        .map((l) => l.message)
        .slice(0, 20),
    },
  });
}
