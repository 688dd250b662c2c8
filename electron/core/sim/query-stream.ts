/**
 * Runs one Query RPC the way Velociraptor's API does (docs/velociraptor/query-stream.md), independent of gRPC:
 * the "Starting query execution." log, statements run in order sharing one scope, per-statement
 * batching by max_row / max_wait (0 → 10 s) with vfilter's check-before-append rule (so max_row = 0
 * gives an initial "[]" and then one row per message), a final batch at the end of every SELECT
 * (possibly "[]" without Columns), a "Time …: Sending response part …" log before each batch,
 * VQL errors as log lines, and the timeout log line before a normal end.
 */
import type { Permission } from './permissions';
import { humanizeBytes } from './vql/builtins';
import { isCancellation, runLet, runSelect } from './vql/engine';
import { VqlSyntaxError } from '../../../shared/vql/lexer';
import type { VersionProfile } from './version';
import { parseVql } from './vql/parser';
import {
  isBatch,
  Scope,
  type FunctionDef,
  type PluginDef,
  type PreSerializedBatch,
  type QueryContext,
} from './vql/scope';
import { toJson, type Row } from './vql/values';
import { messageOf } from '../../../shared/errors';

export interface QueryRequest {
  Query: Array<{ Name: string; VQL: string }>;
  env: Array<{ key: string; value: string }>;
  max_row: number;
  max_wait: number;
  timeout: number;
  org_id: string;
}

export interface QueryResponseMessage {
  Response: string;
  Columns: string[];
  Query: { Name: string; VQL: string } | null;
  timestamp: number;
  query_id: number;
  part: number;
  log: string;
}

export interface QuerySink {
  /** Writes one message; resolves when the transport can take more (backpressure). */
  write(message: QueryResponseMessage): Promise<void> | void;
}

export interface QueryRunOptions {
  user: string;
  orgId: string;
  now: () => number;
  signal: AbortSignal;
  hasPermission(permission: Permission): boolean;
  plugins: ReadonlyMap<string, PluginDef>;
  functions: ReadonlyMap<string, FunctionDef>;
  /** The release played: the server's own scope variables and its parse error texts. */
  profile: VersionProfile;
}

/** The grammar participle (0.77's vfilter) says it expected where an argument name should be. */
const ARGUMENT_EXPECTED = '<ident> "=" (("{" _Select "}") | ("[" _CommaExpression? "]") | _AndExpression)';

/**
 * A parse error as the release's vfilter writes it: 0.77 quotes ten characters either side of the
 * error (`ROM info( |WHER: 1:21: …`) and names the grammar it expected; 0.75 expected ")" where
 * an argument name was missing.
 */
export function vfilterSyntaxError(e: VqlSyntaxError, source: string, profile: VersionProfile): string {
  const lines = source.split('\n');
  let offset = e.column - 1;
  for (let i = 0; i < e.line - 1; i++) offset += (lines[i]?.length ?? 0) + 1;
  const argumentName = e.message.endsWith('(expected a name)');
  const expected = profile.parseErrorWindow ? ARGUMENT_EXPECTED : '")"';
  const message = argumentName
    ? e.message.replace(/\(expected a name\)$/, `(expected ${expected})`)
    : e.message;
  if (!profile.parseErrorWindow) return message;
  const at = Math.max(0, Math.min(offset, source.length - 1));
  const end = Math.max(0, Math.min(offset + 10, source.length - 1));
  return `${source.slice(Math.max(0, offset - 10), at)}|${source.slice(at, end)}: ${message}`;
}

/** Go's time.Duration String() for whole seconds: 10s, 1m30s, 1h0m0s. */
export function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return `${h}h${m}m${s}s`;
  if (m) return `${m}m${s}s`;
  return `${s}s`;
}

export async function runQuery(
  request: QueryRequest,
  sink: QuerySink,
  options: QueryRunOptions,
): Promise<void> {
  const micros = (): number => Math.floor(options.now() * 1000);
  const start = micros();
  const controller = new AbortController();
  const onOuterAbort = (): void => controller.abort();
  options.signal.addEventListener('abort', onOuterAbort);
  let timedOut = false;
  const timer =
    request.timeout > 0
      ? setTimeout(() => {
          timedOut = true;
          controller.abort();
        }, request.timeout * 1000)
      : undefined;

  const blank = { Response: '', Columns: [], Query: null, query_id: 0, part: 0 };
  const log = (line: string): void => {
    if (controller.signal.aborted && !timedOut) return;
    void sink.write({ ...blank, timestamp: micros(), log: line.endsWith('\n') ? line : `${line}\n` });
  };

  const ctx: QueryContext = {
    user: options.user,
    orgId: options.orgId,
    signal: controller.signal,
    now: () => options.now(),
    log,
    hasPermission: (p) => options.hasPermission(p),
    plugins: options.plugins,
    functions: options.functions,
  };
  const env = new Map<string, unknown>([['NULL', null]]);
  for (const e of request.env) env.set(e.key, e.value);
  // The server's own variables (config.version is how a caller learns the release).
  const server = new Map<string, unknown>([
    [
      'config',
      {
        version: {
          name: 'velociraptor',
          version: options.profile.version,
          compiler: 'megaraptor-simulator',
          system: 'linux',
          architecture: process.arch === 'x64' ? 'amd64' : process.arch,
        },
      },
    ],
  ]);
  const scope = new Scope(ctx, [env, server, new Map<string, unknown>()]);
  const maxRow = request.max_row;
  const maxWait = request.max_wait === 0 ? 10 : request.max_wait;

  log('Starting query execution.');
  try {
    requests: for (const vqlRequest of request.Query) {
      let statements;
      try {
        statements = parseVql(vqlRequest.VQL);
      } catch (e) {
        if (e instanceof VqlSyntaxError) {
          log(`VQL Error: ${vfilterSyntaxError(e, vqlRequest.VQL, options.profile)}.`);
          break requests;
        }
        throw e;
      }
      for (const [queryId, statement] of statements.entries()) {
        if (controller.signal.aborted) break requests;
        if (statement.kind === 'let') {
          await runLet(statement, scope);
          continue;
        }
        await streamStatement(statement, queryId, vqlRequest);
      }
    }
  } catch (e) {
    if (!isCancellation(e) && !controller.signal.aborted) log(`VQL Error: ${messageOf(e)}.`);
  } finally {
    if (timer) clearTimeout(timer);
    options.signal.removeEventListener('abort', onOuterAbort);
  }
  if (timedOut) {
    await sink.write({
      ...blank,
      timestamp: micros(),
      log: `collect: <red>Timeout Error:</> Collection timed out after ${goDuration(request.timeout)}\n`,
    });
  }

  async function streamStatement(
    statement: Parameters<typeof runSelect>[0],
    queryId: number,
    vqlRequest: { Name: string; VQL: string },
  ): Promise<void> {
    let part = 0;
    let rows: Row[] = [];
    /** A pre-serialised batch waiting to be sent when the next item (or the end) arrives, as rows would. */
    let pending: PreSerializedBatch | null = null;
    let pendingWrite: Promise<void> | void;

    const send = (json: string, columns: string[], rowCount: number): Promise<void> | void => {
      const timestamp = micros();
      if (vqlRequest.Name !== '') {
        log(
          `Time ${Math.floor((timestamp - start) / 1_000_000)}: ${vqlRequest.Name}: Sending response part ${part} ${humanizeBytes(Buffer.byteLength(json))} (${rowCount} rows).`,
        );
      }
      const result = sink.write({
        Response: json,
        Columns: columns,
        Query: { Name: vqlRequest.Name, VQL: vqlRequest.VQL },
        timestamp,
        query_id: queryId,
        part,
        log: '',
      });
      part++;
      return result;
    };
    const flushRows = (): Promise<void> | void => {
      const batch = rows;
      rows = [];
      return send(
        `[${batch.map((r) => toJson(r)).join(',')}]`,
        batch.length ? Object.keys(batch[0] as Row) : [],
        batch.length,
      );
    };
    const flushPending = (): Promise<void> | void => {
      const p = pending;
      pending = null;
      return p ? send(p.json, p.columns, p.rowCount) : undefined;
    };

    const ticker = setInterval(() => {
      if (rows.length > 0) pendingWrite = flushRows();
    }, maxWait * 1000);
    try {
      await consume();
    } catch (e) {
      if (!isCancellation(e)) throw e;
    } finally {
      clearInterval(ticker);
    }
    // A client that went away gets nothing more; a timeout still delivers what was buffered.
    if (controller.signal.aborted && !timedOut) return;
    if (timedOut) {
      if (pending) await flushPending();
      if (rows.length) await flushRows();
      return;
    }
    if (pending) await flushPending();
    else await flushRows();

    async function consume(): Promise<void> {
      for await (const item of runSelect(statement, scope)) {
        if (pendingWrite) await pendingWrite;
        pendingWrite = undefined;
        if (pending) await flushPending();
        if (isBatch(item) && rows.length === 0 && item.rowCount === maxRow) {
          // Simulator-only fast path: the batch was serialised once (bulk-rows.ts); same wire result as rows.
          pending = item;
          continue;
        }
        for (const row of isBatch(item) ? item.rows() : [item]) {
          if (rows.length >= maxRow) await flushRows();
          rows.push(row);
        }
      }
    }
  }
}
