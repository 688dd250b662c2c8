/**
 * Local VQL notebooks: VQL and Markdown cells saved as JSON files in the data dir. Results are not
 * saved (they can be large and are endpoint data); a cell is re-run to see them.
 */
import { z } from 'zod';
import { call } from '../contract';

export const Cell = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
  kind: z.enum(['vql', 'markdown']),
  source: z.string().max(200_000),
});
export type Cell = z.infer<typeof Cell>;

export const Notebook = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]{1,40}$/),
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

export const notebooksContract = {
  'notebooks:list': call(z.object({}).strict(), z.array(NotebookSummary)),
  'notebooks:get': call(z.object({ id: Notebook.shape.id }), Notebook),
  'notebooks:create': call(z.object({ title: z.string().min(1).max(200) }), Notebook),
  'notebooks:save': call(Notebook.pick({ id: true, title: true, cells: true }), Notebook),
  'notebooks:delete': call(z.object({ id: Notebook.shape.id }), z.object({ deleted: z.boolean() })),
  /** The notebook as Markdown (VQL cells fenced) for reports, or as its JSON file. */
  'notebooks:export': call(
    z.object({ id: Notebook.shape.id, format: z.enum(['markdown', 'json']) }),
    z.object({ fileName: z.string(), text: z.string() }),
  ),
};
