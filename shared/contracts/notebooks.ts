/**
 * Local VQL notebooks that hold a case: VQL and Markdown cells saved as JSON files in the data dir,
 * and with each VQL cell the last run — when, on which server, as whom, the query as it ran, how many
 * rows — and its first rows (capped: a large result keeps the first rows and says so; re-run for
 * all), kept beside the notebook. Saved results are read back page by page like a live result, with no
 * server connected. A report (Markdown, or HTML built from it) carries all of it for a case file.
 */
import { z } from 'zod';
import { call } from '../contract';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/);

/** What the core recorded about a VQL cell's last run (the notebook file keeps it; saves never change it). */
export const CellRun = z.object({
  ranAt: z.string(),
  /** The connection's name, its API endpoint (host:port) and org ('' = root). */
  server: z.string(),
  endpoint: z.string(),
  org: z.string(),
  /** The API user the server saw. */
  identity: z.string(),
  /** The query as it ran (the cell may have been edited since). */
  vql: z.string(),
  /** Rows the query returned, and how many of the first ones were saved with the notebook. */
  total: z.number().int().min(0),
  saved: z.number().int().min(0),
  columns: z.array(z.string()),
  elapsedMs: z.number().min(0),
  /** Why the query failed, when it did (the rows it returned before are still saved). */
  error: z.string().optional(),
});
export type CellRun = z.infer<typeof CellRun>;

export const Cell = z.object({
  id: Id,
  kind: z.enum(['vql', 'markdown']),
  source: z.string().max(200_000),
  run: CellRun.optional(),
});
export type Cell = z.infer<typeof Cell>;

export const Notebook = z.object({
  id: Id,
  title: z.string().min(1).max(200),
  cells: z.array(Cell).max(500),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Notebook = z.infer<typeof Notebook>;

export const NotebookSummary = Notebook.pick({ id: true, title: true, updatedAt: true }).extend({
  cells: z.number(),
});
export type NotebookSummary = z.infer<typeof NotebookSummary>;

const Title = z.string().trim().min(1).max(200);

export const notebooksContract = {
  'notebooks:list': call(z.object({}).strict(), z.array(NotebookSummary)),
  'notebooks:get': call(z.object({ id: Id }), Notebook),
  'notebooks:create': call(z.object({ title: Title }), Notebook),
  /** Title and cells; each cell's `run` is the core's and stays as recorded (whatever is sent). */
  'notebooks:save': call(Notebook.pick({ id: true, title: true, cells: true }), Notebook),
  'notebooks:rename': call(z.object({ id: Id, title: Title }), Notebook),
  /** A copy with its saved results, titled "Copy of …" unless a title is given. */
  'notebooks:duplicate': call(z.object({ id: Id, title: Title.optional() }), Notebook),
  'notebooks:delete': call(z.object({ id: Id }), z.object({ deleted: z.boolean() })),
  /** A cell's saved rows as a result set to page through (`results:window`), no server needed. */
  'notebooks:results': call(
    z.object({ id: Id, cellId: Id }),
    z.object({ resultId: z.string(), saved: z.number(), total: z.number(), columns: z.array(z.string()) }),
  ),
  /** The report as Markdown (each cell's query, when and where it ran, as whom, its first rows), or the notebook file. */
  'notebooks:export': call(
    z.object({ id: Id, format: z.enum(['markdown', 'json']) }),
    z.object({ fileName: z.string(), text: z.string() }),
  ),
};
