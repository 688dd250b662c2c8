/**
 * VQL typed by the responder (notebook cells) and the result sets behind every grid. Rows stay in
 * the core: the renderer asks for the window it paints (`results:window`), so a million-row result
 * costs the renderer only the visible rows.
 */
import { z } from 'zod';
import { call, stream } from '../contract';
import { Target } from './connections';
import { CellRun } from './notebooks';

export const LogLine = z.object({
  timeMs: z.number(),
  level: z.string(),
  message: z.string(),
  problem: z.string().optional(),
});
export type LogLine = z.infer<typeof LogLine>;

export const RunEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('started'), resultId: z.string() }),
  /**
   * Progress, coalesced in the core to at most ~8 a second: the row count so far, every log line since
   * the previous event (none is dropped), and, on the first event with rows, the cell text of the
   * first rows (`first`, in `columns` order) so the grid paints without a window round trip.
   */
  z.object({
    type: z.literal('rows'),
    total: z.number(),
    columns: z.array(z.string()),
    logs: z.array(LogLine).optional(),
    first: z.array(z.array(z.string())).optional(),
  }),
  z.object({
    type: z.literal('done'),
    total: z.number(),
    elapsedMs: z.number(),
    firstRowsMs: z.number().nullable(),
    /** A notebook cell's run as recorded with the notebook (its first rows saved beside it). */
    run: CellRun.optional(),
  }),
]);
export type RunEvent = z.infer<typeof RunEvent>;

export const SortSpec = z.object({ column: z.string(), desc: z.boolean() });
export type SortSpec = z.infer<typeof SortSpec>;

export const ViewSpec = z.object({
  sort: SortSpec.nullable().default(null),
  /** Case-insensitive substring over all shown cells. */
  filter: z.string().max(1000).default(''),
});
export type ViewSpec = z.infer<typeof ViewSpec>;

export const ResultWindow = z.object({
  total: z.number(),
  /** Rows after filtering. */
  matched: z.number(),
  columns: z.array(z.string()),
  offset: z.number(),
  /** Cell text per row, in `columns` order (objects as compact JSON). */
  rows: z.array(z.array(z.string())),
  complete: z.boolean(),
});
export type ResultWindow = z.infer<typeof ResultWindow>;

export const CompletionArg = z.object({
  name: z.string(),
  type: z.string(),
  required: z.boolean(),
  description: z.string(),
});
export const CompletionItem = z.object({
  name: z.string(),
  kind: z.enum(['plugin', 'function', 'artifact']),
  description: z.string(),
  args: z.array(CompletionArg),
});
export type CompletionItem = z.infer<typeof CompletionItem>;

export const vqlContract = {
  'vql:run': stream(
    z.object({
      target: Target,
      vql: z.string().min(1).max(200_000),
      timeoutSeconds: z.number().int().min(1).max(86_400).default(600),
      /** The notebook cell this runs for: the run and its first rows are saved with the notebook. */
      notebook: z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/), cellId: z.string() }).optional(),
    }),
    RunEvent,
  ),
  'vql:completions': call(z.object({ target: Target }), z.object({ items: z.array(CompletionItem) })),
  'results:window': call(
    z.object({
      resultId: z.string(),
      offset: z.number().int().min(0),
      limit: z.number().int().min(0).max(2000),
      view: ViewSpec.default({ sort: null, filter: '' }),
    }),
    ResultWindow,
  ),
  /** CSV (formula injection neutralised) or JSON Lines of the current view; returned as text. */
  'results:export': call(
    z.object({
      resultId: z.string(),
      format: z.enum(['csv', 'json']),
      columns: z.array(z.string()).optional(),
      view: ViewSpec.default({ sort: null, filter: '' }),
      /** The file's name without extension, e.g. host_artifact_flow (made safe for file systems). */
      name: z.string().max(300).optional(),
    }),
    z.object({ fileName: z.string(), text: z.string(), rows: z.number() }),
  ),
  'results:release': call(z.object({ resultId: z.string() }), z.object({ released: z.boolean() })),
};
