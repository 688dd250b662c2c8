/**
 * Results sized for a model: column selection, a row cap and a byte cap, an opaque cursor to page on,
 * and a summary of what was cut. Large results can go to a JSONL file instead, and only its path,
 * size and hash come back. Cursors are bound to the query they came from, so a cursor from one call
 * cannot silently page through another.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { AppError } from '../../../shared/errors';
import type { JsonValue, Row as WireRow } from '../velociraptor/index';

/** One result row exactly as the server sent it. Endpoint data: hostile until proven otherwise. */
export type Row = Record<string, unknown>;

/** Which rows of a result a tool call wants: the cursor's offset and the page size. */
export interface Page {
  offset: number;
  /** Rows wanted; sources may return one more so the caller can tell there are more. */
  limit: number;
}

export const DEFAULT_MAX_ROWS = 50;
export const HARD_MAX_ROWS = 1000;
export const DEFAULT_MAX_BYTES = 32_000;
export const HARD_MAX_BYTES = 256_000;
/** Longest string cell kept whole; longer ones are cut and counted. */
export const MAX_CELL_CHARS = 4_000;
/** Rows written at most to a result file. */
export const FILE_MAX_ROWS = 1_000_000;

/** Input fields every row-returning tool accepts. */
export const pagingInput = {
  columns: z
    .array(z.string().min(1).max(200))
    .max(100)
    .optional()
    .describe('Only these columns (case-sensitive). Omit for all.'),
  max_rows: z
    .number()
    .int()
    .min(1)
    .max(HARD_MAX_ROWS)
    .optional()
    .describe(`Rows per page (default ${DEFAULT_MAX_ROWS}).`),
  max_bytes: z
    .number()
    .int()
    .min(1_000)
    .max(HARD_MAX_BYTES)
    .optional()
    .describe(`Byte budget of the page (default ${DEFAULT_MAX_BYTES}).`),
  cursor: z
    .string()
    .max(500)
    .optional()
    .describe('next_cursor from a previous call with the same arguments, to get the next page.'),
  to_file: z
    .boolean()
    .optional()
    .describe(
      'Write all rows to a JSONL file in the app data folder and return its path instead of rows. Use for large results you will not read whole.',
    ),
};

export const PageSummary = z.object({
  returned_rows: z.number().int(),
  offset: z.number().int(),
  truncated: z.boolean().describe('True when more rows exist or cells/columns were cut.'),
  cut: z.array(z.string()).describe('What was cut and why, in words.'),
  next_cursor: z.string().optional(),
  bytes: z.number().int(),
});
export type PageSummary = z.infer<typeof PageSummary>;

export const ResultFile = z.object({
  path: z.string(),
  rows: z.number().int(),
  bytes: z.number().int(),
  sha256: z.string(),
});
export type ResultFile = z.infer<typeof ResultFile>;

/** Output fields of every row-returning tool. */
export const pagedOutput = {
  rows: z.array(z.record(z.string(), z.unknown())),
  page: PageSummary,
  file: ResultFile.optional(),
};

export interface PagingArgs {
  columns?: string[] | undefined;
  max_rows?: number | undefined;
  max_bytes?: number | undefined;
  cursor?: string | undefined;
  to_file?: boolean | undefined;
}

export interface Paged {
  rows: Row[];
  page: PageSummary;
  file?: ResultFile;
}

/** A stable hash of the arguments that define a query (everything but the paging fields). */
export function queryKey(tool: string, args: Record<string, unknown>): string {
  const rest: Record<string, unknown> = {};
  for (const k of Object.keys(args).sort()) {
    if (k === 'cursor' || k === 'max_rows' || k === 'max_bytes' || k === 'columns' || k === 'to_file')
      continue;
    rest[k] = args[k];
  }
  return createHash('sha256')
    .update(tool)
    .update('\0')
    .update(JSON.stringify(rest))
    .digest('base64url')
    .slice(0, 16);
}

export function encodeCursor(key: string, offset: number): string {
  return Buffer.from(JSON.stringify({ k: key, o: offset })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, key: string): number {
  if (cursor === undefined || cursor === '') return 0;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw new AppError(
      'INVALID_ARGUMENT',
      'The cursor is not one this server issued. Call again without a cursor.',
    );
  }
  const p = z.object({ k: z.string(), o: z.number().int().min(0) }).safeParse(parsed);
  if (!p.success)
    throw new AppError(
      'INVALID_ARGUMENT',
      'The cursor is not one this server issued. Call again without a cursor.',
    );
  if (p.data.k !== key) {
    throw new AppError(
      'INVALID_ARGUMENT',
      'The cursor belongs to a call with other arguments. Repeat the same arguments, or drop the cursor.',
    );
  }
  return p.data.o;
}

function selectColumns(row: Row, columns: string[] | undefined, missing: Set<string>): Row {
  if (!columns) return row;
  const out: Row = {};
  for (const c of columns) {
    if (Object.prototype.hasOwnProperty.call(row, c)) out[c] = row[c];
    else missing.add(c);
  }
  return out;
}

function cutCells(row: Row): { row: Row; cut: number } {
  let cut = 0;
  const out: Row = {};
  for (const [k, v] of Object.entries(row)) {
    if (typeof v === 'string' && v.length > MAX_CELL_CHARS) {
      out[k] = v.slice(0, MAX_CELL_CHARS) + `…[${v.length - MAX_CELL_CHARS} chars cut]`;
      cut++;
    } else {
      out[k] = v;
    }
  }
  return { row: out, cut };
}

/**
 * Shapes one page. `fetched` holds the rows from `offset` on, and at least one more than the page can
 * take when more exist (`hasMore` says so when the source knows better).
 */
export function shapePage(
  fetched: Row[],
  offset: number,
  key: string,
  args: PagingArgs,
  hasMore = false,
): Paged {
  const maxRows = args.max_rows ?? DEFAULT_MAX_ROWS;
  const maxBytes = args.max_bytes ?? DEFAULT_MAX_BYTES;
  const missing = new Set<string>();
  const rows: Row[] = [];
  const cut: string[] = [];
  let bytes = 2;
  let cellsCut = 0;
  let stoppedBy: 'rows' | 'bytes' | null = null;
  for (const raw of fetched) {
    if (rows.length >= maxRows) {
      stoppedBy = 'rows';
      break;
    }
    const shaped = cutCells(selectColumns(raw, args.columns, missing));
    const size = Buffer.byteLength(JSON.stringify(shaped.row)) + 1;
    if (bytes + size > maxBytes && rows.length > 0) {
      stoppedBy = 'bytes';
      break;
    }
    if (bytes + size > maxBytes) {
      // A single row bigger than the budget: send it with every cell cut short rather than nothing.
      const tiny: Row = {};
      for (const [k, v] of Object.entries(shaped.row)) {
        const s = typeof v === 'string' ? v : JSON.stringify(v);
        tiny[k] = s !== undefined && s.length > 200 ? s.slice(0, 200) + '…[cut]' : v;
      }
      rows.push(tiny);
      bytes += Buffer.byteLength(JSON.stringify(tiny)) + 1;
      cut.push('one row was larger than max_bytes; its long cells were cut to 200 characters');
      continue;
    }
    cellsCut += shaped.cut;
    rows.push(shaped.row);
    bytes += size;
  }
  const more = stoppedBy !== null || hasMore;
  if (stoppedBy === 'rows') cut.push(`stopped at max_rows=${maxRows}; more rows follow`);
  if (stoppedBy === 'bytes')
    cut.push(`stopped at max_bytes=${maxBytes} after ${rows.length} rows; more rows follow`);
  if (stoppedBy === null && hasMore) cut.push('more rows follow');
  if (cellsCut > 0) cut.push(`${cellsCut} cells longer than ${MAX_CELL_CHARS} characters were shortened`);
  if (missing.size > 0) cut.push(`columns not present in the rows: ${[...missing].slice(0, 10).join(', ')}`);
  const page: PageSummary = {
    returned_rows: rows.length,
    offset,
    truncated: more || cut.length > 0,
    cut,
    bytes,
  };
  if (more) page.next_cursor = encodeCursor(key, offset + rows.length);
  return { rows, page };
}

/**
 * Drains a paged source into a JSONL file in `folder` (created 0700, file 0600) and returns where it
 * went. The rows are not returned to the model.
 */
export async function writeResultFile(
  folder: string,
  tool: string,
  fetchPage: (page: { offset: number; limit: number }) => Promise<Row[]>,
  columns: string[] | undefined,
): Promise<ResultFile> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const name = `${tool}-${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(3).toString('hex')}.jsonl`;
  const path = join(folder, name);
  const fh = await open(path, 'wx', 0o600);
  const hash = createHash('sha256');
  let rows = 0;
  let bytes = 0;
  const missing = new Set<string>();
  try {
    const batch = 5_000;
    for (let offset = 0; offset < FILE_MAX_ROWS; offset += batch) {
      const got = await fetchPage({ offset, limit: batch });
      const slice = got.slice(0, batch);
      if (slice.length === 0) break;
      const text = slice.map((r) => JSON.stringify(selectColumns(r, columns, missing))).join('\n') + '\n';
      hash.update(text);
      bytes += Buffer.byteLength(text);
      rows += slice.length;
      await fh.write(text);
      if (got.length < batch) break;
    }
  } finally {
    await fh.close();
  }
  return { path, rows, bytes, sha256: hash.digest('hex') };
}

/**
 * The standard paged read: decode the cursor, fetch one page (plus one row to learn whether more
 * exist), shape it; or write everything to a file when asked.
 */
export async function pagedRead(
  tool: string,
  args: PagingArgs & Record<string, unknown>,
  fetchPage: (page: { offset: number; limit: number }) => Promise<Row[]>,
  resultsDir: string,
): Promise<Paged> {
  const key = queryKey(tool, args);
  if (args.to_file === true) {
    const file = await writeResultFile(resultsDir, tool, fetchPage, args.columns);
    return {
      rows: [],
      page: {
        returned_rows: 0,
        offset: 0,
        truncated: true,
        cut: [`all ${file.rows} rows went to the file; none are inline`],
        bytes: 2,
      },
      file,
    };
  }
  const offset = decodeCursor(args.cursor, key);
  const limit = (args.max_rows ?? DEFAULT_MAX_ROWS) + 1;
  const fetched = await fetchPage({ offset, limit });
  return shapePage(fetched, offset, key, args);
}

/** Pages an array already in memory (results that the server cannot page for us). */
export function sliceSource(all: Row[]): (page: { offset: number; limit: number }) => Promise<Row[]> {
  return async ({ offset, limit }) => all.slice(offset, offset + limit);
}

/** The operations' ceiling for one list read. */
export const LIST_MAX = 10_000;

/** Operations take a row limit from the start; the tools page with an offset. */
export function upTo(page: Page, max = LIST_MAX): number {
  const n = page.offset + page.limit;
  if (n > max)
    throw new AppError('INVALID_ARGUMENT', `Cannot page beyond row ${max} here; narrow the search instead.`);
  return n;
}

/** The rows of `page` from a list read with `upTo(page)`. */
export function pageOf<T>(rows: T[], page: Page): T[] {
  return rows.slice(page.offset, page.offset + page.limit);
}

function plainValue(v: JsonValue): unknown {
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map(plainValue);
  if (v !== null && typeof v === 'object') return plainRow(v);
  return v;
}

function plainRow(r: WireRow): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r)) out[k] = plainValue(v);
  return out;
}

/** Exact big integers (beyond 2^53) arrive as BigInt; JSON for a model carries them as strings. */
export function plainRows(rows: WireRow[]): Row[] {
  return rows.map(plainRow);
}
