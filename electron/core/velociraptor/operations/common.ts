/**
 * Shared plumbing for typed operations: run a composed query, validate each row with zod, and
 * report a server answer of an unexpected shape as an error (never silently as "success").
 */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import type { VelociraptorConnection } from '../connection';
import type { Row } from '../query/json';
import type { RowsOptions } from '../query/rows';
import { build, vql, type BuiltQuery, type VqlFragment } from '../vql/builder';

/** Numbers from the server may arrive as BigInt when beyond 2^53; times and sizes fit a double. */
export const num = z
  .union([z.number(), z.bigint(), z.string().regex(/^-?\d+(\.\d+)?$/)])
  .transform((v) => Number(v));
export const optNum = num
  .optional()
  .nullable()
  .transform((v) => v ?? undefined);
export const strList = z
  .array(z.string())
  .nullable()
  .optional()
  .transform((v) => v ?? []);

export interface OpOptions {
  signal?: AbortSignal;
  /** Client deadline for the call in ms (default 60 s). */
  deadlineMs?: number;
}

export function rowsOptions(opts: OpOptions | undefined, idempotent: boolean): RowsOptions {
  return { signal: opts?.signal, deadlineMs: opts?.deadlineMs ?? 60_000, idempotent, bigInts: 'bigint' };
}

export async function queryTyped<S extends z.ZodType>(
  conn: VelociraptorConnection,
  q: VqlFragment,
  schema: S,
  opts: RowsOptions,
): Promise<Array<z.output<S>>> {
  const { rows } = await conn.queryRows(build(q), opts);
  return rows.map((r, i) => parseRow(schema, r, i, conn.label));
}

export function parseRow<S extends z.ZodType>(
  schema: S,
  row: Row,
  index: number,
  server: string,
): z.output<S> {
  const r = schema.safeParse(row);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new AppError(
      'INTERNAL',
      `${server} answered with an unexpected row shape (row ${index}, ${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}).`,
      {
        details: { path: issue?.path.map(String) },
      },
    );
  }
  return r.data;
}

/** The query that runs a VQL function call: `SELECT <call> AS Result FROM scope()`. */
export function functionQuery(call: VqlFragment): BuiltQuery {
  return build(vql`SELECT ${call} AS Result FROM scope()`);
}

/** A VQL function call wrapped in `SELECT … AS Result FROM scope()`; null means it failed. */
export async function callFunction<S extends z.ZodType>(
  conn: VelociraptorConnection,
  call: VqlFragment,
  schema: S,
  opts: RowsOptions,
  what: string,
): Promise<z.output<S>> {
  return callBuiltFunction(conn, functionQuery(call), schema, opts, what);
}

/** Runs a query built by functionQuery() (the one a plan showed) and checks its Result. */
export async function callBuiltFunction<S extends z.ZodType>(
  conn: VelociraptorConnection,
  query: BuiltQuery,
  schema: S,
  opts: RowsOptions,
  what: string,
): Promise<z.output<S>> {
  const { rows, logs } = await conn.queryRows(query, opts);
  const value = rows[0]?.Result;
  if (value === undefined || value === null || value === false) {
    // A function that fails logs why as "<name>: <reason>" with no level prefix (no ERROR:).
    const name = /^\w+/.exec(what)?.[0] ?? what;
    const reasons = logs.map((l) => l.message.trim()).filter((m) => m.startsWith(`${name}: `));
    throw new AppError(
      'VQL_ERROR',
      reasons.length
        ? `${conn.label}: ${reasons.slice(0, 3).join(' | ')}`
        : `${conn.label}: ${what} returned nothing; the server logged no reason.`,
      reasons.length ? { details: { logs: reasons.slice(0, 20) } } : {},
    );
  }
  const r = schema.safeParse(value);
  if (!r.success) throw new AppError('INTERNAL', `${conn.label}: ${what} returned an unexpected value.`);
  return r.data;
}

export function usToIso(us: number | undefined): string | undefined {
  return us ? new Date(Math.floor(us / 1000)).toISOString() : undefined;
}

export function secondsToIso(s: number | undefined): string | undefined {
  return s ? new Date(s * 1000).toISOString() : undefined;
}

export function limitOf(limit: number | undefined, def: number, max = 10_000): number {
  const n = limit ?? def;
  if (!Number.isSafeInteger(n) || n < 1 || n > max)
    throw new AppError('INVALID_ARGUMENT', `limit must be 1–${max}.`);
  return n;
}

/** The `specs` of an ArtifactCollectorArgs (a flow's request, a hunt's start_request). */
export const SpecsSchema = z
  .array(
    z.looseObject({
      artifact: z.string().optional(),
      parameters: z
        .looseObject({
          env: z
            .array(z.looseObject({ key: z.string(), value: z.string().optional() }))
            .nullable()
            .optional(),
        })
        .nullable()
        .optional(),
    }),
  )
  .nullable()
  .optional();

/** Specs as per-artifact parameters `{Artifact: {Param: value}}`. */
export function specParameters(specs: z.output<typeof SpecsSchema>): Record<string, Record<string, string>> {
  return Object.fromEntries(
    (specs ?? []).map((s) => [
      s.artifact ?? '',
      Object.fromEntries((s.parameters?.env ?? []).map((e) => [e.key, e.value ?? ''])),
    ]),
  );
}
