/**
 * Actions on many clients at once, from the Clients search results: which clients a search
 * matches, labels added or removed per client, the states of a multi-client launch's flows, and
 * ranges of a downloaded file for the hex view. Every per-client call runs through a small worker
 * pool so a thousand clients never mean a thousand concurrent queries on the server, and one
 * client's failure is reported beside the others' success instead of ending the batch.
 */
import type { ClientRef, FileRange, LabelOutcome } from '../../../shared/contracts/clients';
import type { Target } from '../../../shared/contracts/connections';
import { AppError, messageOf } from '../../../shared/errors';
import { parseClientQuery } from '../../../shared/client-search';
import type { VelociraptorService } from '../velociraptor/index';
import type { ConnectionManager } from '../connections/index';

/** Concurrent per-client calls (Velociraptor's GUI labels one client per request; a few in flight keep the server responsive). */
export const BULK_CONCURRENCY = 6;
const DOWNLOAD_FILE = 'System.VFS.DownloadFile';
/** How long a path → upload components resolution is reused while paging through a file. */
const RESOLVE_MS = 60_000;

/** Runs `fn` over `items` with at most `limit` in flight; results keep the input order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
  return out;
}

interface Resolved {
  at: number;
  flowId: string;
  components: string[];
  size: number;
}

export class BulkActions {
  private readonly resolved = new Map<string, Resolved>();

  constructor(
    private readonly connections: ConnectionManager,
    private readonly concurrency = BULK_CONCURRENCY,
    private readonly now: () => number = Date.now,
  ) {}

  private ops(t: Target): Promise<VelociraptorService> {
    return this.connections.service(t);
  }

  /** Every client a search matches (ids and host names only), up to `limit`. */
  async matching(t: Target, query: string, limit: number): Promise<{ clients: ClientRef[]; more: boolean }> {
    const ops = await this.ops(t);
    const { search, os } = parseClientQuery(query);
    const rows = await ops.searchClientIds(search, Math.min(limit + 1, 10_000), { os });
    return { clients: rows.slice(0, limit), more: rows.length > limit };
  }

  /**
   * Adds (Velociraptor op `set`) or removes labels on each client. Duplicate ids are done once. A
   * client that fails (unknown, no LABEL_CLIENT permission, unreachable server) gets its reason.
   */
  async labelMany(
    t: Target,
    clientIds: string[],
    labels: string[],
    op: 'add' | 'remove',
  ): Promise<{ results: LabelOutcome[] }> {
    const ops = await this.ops(t);
    const wanted = [...new Set(labels.map((l) => l.trim()).filter(Boolean))];
    if (wanted.length === 0) throw new AppError('INVALID_ARGUMENT', 'Give at least one label.');
    const ids = [...new Set(clientIds)];
    const results = await mapBounded(ids, this.concurrency, async (clientId): Promise<LabelOutcome> => {
      try {
        const after = await ops.setLabels(clientId, wanted, op === 'add' ? 'set' : 'remove');
        return { clientId, ok: true, labels: after };
      } catch (e) {
        return { clientId, ok: false, labels: [], message: messageOf(e) };
      }
    });
    return { results };
  }

  /** The current state of each flow; a flow that cannot be read reports why instead of failing the rest. */
  async flowStates(t: Target, flows: Array<{ clientId: string; flowId: string }>) {
    const ops = await this.ops(t);
    return mapBounded(flows, this.concurrency, async ({ clientId, flowId }) => {
      try {
        const f = await ops.flowStatus(clientId, flowId);
        return { clientId, flowId, state: f.state, status: f.status, rows: f.totalRows };
      } catch (e) {
        return { clientId, flowId, state: 'UNKNOWN', status: '', rows: 0, error: messageOf(e) };
      }
    });
  }

  /**
   * One range of the newest downloaded copy of `path` on the server (the upload of the last
   * finished System.VFS.DownloadFile collection for it), read with VFSGetBuffer.
   */
  async readFileRange(
    t: Target,
    clientId: string,
    path: string,
    offset: number,
    length: number,
  ): Promise<FileRange> {
    const ops = await this.ops(t);
    const file = await this.resolve(ops, t, clientId, path);
    const data =
      offset >= file.size
        ? Buffer.alloc(0)
        : // The upload's components start at clients/<id>/…: VFSGetBuffer with client_id set would
          // prefix that again and find nothing.
          await ops.readRange({ components: file.components }, offset, Math.min(length, file.size - offset));
    return { offset, data: data.toString('base64'), size: file.size, flowId: file.flowId };
  }

  private async resolve(
    ops: VelociraptorService,
    t: Target,
    clientId: string,
    path: string,
  ): Promise<Resolved> {
    const key = `${t.server}|${t.org}|${clientId}|${path}`;
    const hit = this.resolved.get(key);
    if (hit && this.now() - hit.at < RESOLVE_MS) return hit;
    const flows = await ops.listFlows(clientId, { limit: 500 });
    const downloads = flows
      .filter(
        (f) =>
          f.state === 'FINISHED' &&
          f.artifacts.includes(DOWNLOAD_FILE) &&
          samePath(f.parameters[DOWNLOAD_FILE]?.Path ?? '', path),
      )
      .sort((a, b) => (b.createTime ?? '').localeCompare(a.createTime ?? ''));
    for (const f of downloads) {
      const upload = (await ops.listUploads(clientId, f.flowId)).find((u) => u.components.length > 0);
      if (!upload) continue;
      const r: Resolved = {
        at: this.now(),
        flowId: f.flowId,
        components: upload.components,
        size: upload.size,
      };
      this.resolved.set(key, r);
      return r;
    }
    throw new AppError(
      'NOT_FOUND',
      `${path} was not downloaded from ${clientId} yet. Download it first, then open the hex view.`,
    );
  }
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/\\/g, '/').replace(/\/+$/, '').toLowerCase() || '/';
  return norm(a) === norm(b);
}
