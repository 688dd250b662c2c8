/**
 * Files the responder hands to the core from the window (browser mode, or the Electron renderer, which
 * reads no files itself): sent in order in chunks of at most `chunkBytes` over the contract, written
 * straight to a temp file in `<data>/tmp/uploads/<pid>/` (one chunk in memory at a time), and checked by
 * the kind's own check when the last byte arrived. An upload belongs to the window or socket that began
 * it; it is removed when its consumer is done with it, when it is cancelled, when its owner goes away,
 * after `idleMs` without a chunk, and at start (leftovers of a process that died).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { formatBytes } from '../../../shared/bytes';
import { AppError } from '../../../shared/errors';

export interface UploadLimits {
  /** The largest file accepted. */
  maxBytes: number;
  /** The largest chunk accepted (decoded bytes). */
  chunkBytes: number;
  /** Uploads open at once, over all owners. */
  maxOpen: number;
  /** An upload with no chunk for this long is removed. */
  idleMs: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  maxBytes: 4 * 1024 ** 3,
  chunkBytes: 1024 * 1024,
  maxOpen: 8,
  idleMs: 10 * 60_000,
};

/** What a kind of upload must be: its own size limit, its first bytes, and a check of the whole file. */
export interface UploadKind {
  /** Words for messages ("a collection ZIP"). */
  what: string;
  maxBytes?: number;
  /** Checked on the first chunk: a wrong file is refused before it is sent whole. */
  head?: (first: Buffer) => string | null;
  /** Checked once the file is complete; throws an AppError that says what is wrong. */
  check?: (path: string, name: string) => Promise<Record<string, unknown>>;
}

export interface FinishedUpload {
  id: string;
  name: string;
  path: string;
  size: number;
  /** What the kind's check found (e.g. the collection's host and artifacts). */
  checked: Record<string, unknown>;
}

interface Open {
  id: string;
  owner: string;
  kind: string;
  name: string;
  size: number;
  received: number;
  path: string;
  fh: FileHandle | null;
  touched: number;
  finished: FinishedUpload | null;
  /** An upload being read by its consumer is not swept. */
  taken: boolean;
}

const ID = /^u[0-9a-f]{24}$/;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class UploadStore {
  private readonly open = new Map<string, Open>();
  private readonly limits: UploadLimits;
  /** One write per upload at a time: a chunk waits for the previous one of its upload. */
  private readonly busy = new Set<string>();

  /** This process's folder below `root`. */
  readonly dir: string;

  constructor(
    readonly root: string,
    private readonly kinds: Record<string, UploadKind>,
    limits: Partial<UploadLimits> = {},
    private readonly now: () => number = Date.now,
  ) {
    this.limits = { ...DEFAULT_UPLOAD_LIMITS, ...limits };
    this.dir = join(root, String(process.pid));
    // The desktop app and `megaraptor serve` may share a data folder: each process has its own
    // folder, and removes only those of processes that are gone (nobody can finish their uploads).
    mkdirSync(root, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(root))
      if (name === String(process.pid) || !/^\d+$/.test(name) || !alive(Number(name)))
        rmSync(join(root, name), { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  get chunkBytes(): number {
    return this.limits.chunkBytes;
  }

  maxBytesOf(kind: string): number {
    return Math.min(this.limits.maxBytes, this.kinds[kind]?.maxBytes ?? Infinity);
  }

  async begin(
    owner: string,
    input: { kind: string; name: string; size: number },
  ): Promise<{ id: string; chunkBytes: number; maxBytes: number }> {
    await this.sweep();
    const kind = this.kinds[input.kind];
    if (!kind) throw new AppError('INVALID_ARGUMENT', `The app takes no upload of kind "${input.kind}".`);
    const max = this.maxBytesOf(input.kind);
    if (!Number.isSafeInteger(input.size) || input.size <= 0)
      throw new AppError('INVALID_ARGUMENT', `${input.name} is empty: choose ${kind.what}.`);
    if (input.size > max)
      throw new AppError(
        'INVALID_ARGUMENT',
        `${input.name} is ${formatBytes(input.size)}; the app takes ${kind.what} up to ${formatBytes(max)}.`,
        { details: { reason: 'too-large', size: input.size, maxBytes: max } },
      );
    if (this.open.size >= this.limits.maxOpen)
      throw new AppError(
        'CONFLICT',
        `${this.open.size} uploads are open already; finish or cancel one, then try again.`,
      );
    const id = `u${randomBytes(12).toString('hex')}`;
    const path = join(this.dir, `${id}.part`);
    const fh = await open(path, 'wx', 0o600);
    this.open.set(id, {
      id,
      owner,
      kind: input.kind,
      name: input.name,
      size: input.size,
      received: 0,
      path,
      fh,
      touched: this.now(),
      finished: null,
      taken: false,
    });
    return { id, chunkBytes: this.limits.chunkBytes, maxBytes: max };
  }

  /**
   * Writes the chunk at `offset`, which must be where the last one ended (chunks come in order; a
   * repeated or skipped one is refused, so a file is never written with a hole). The last chunk runs
   * the kind's check; a file that fails it is removed.
   */
  async append(
    owner: string,
    id: string,
    offset: number,
    data: Buffer,
  ): Promise<{ received: number; size: number; finished: FinishedUpload | null }> {
    const u = this.get(owner, id);
    if (u.finished) throw new AppError('CONFLICT', `${u.name} was sent whole already.`);
    if (this.busy.has(id))
      throw new AppError('CONFLICT', 'Chunks of one upload go one at a time: wait for the answer.');
    if (data.length === 0 || data.length > this.limits.chunkBytes)
      throw new AppError(
        'INVALID_ARGUMENT',
        `A chunk holds 1 to ${this.limits.chunkBytes} bytes; this one held ${data.length}.`,
      );
    if (offset !== u.received)
      throw new AppError(
        'INVALID_ARGUMENT',
        `The chunk starts at byte ${offset}, but ${u.received} bytes of ${u.name} arrived so far.`,
        { details: { received: u.received } },
      );
    if (u.received + data.length > u.size)
      throw new AppError(
        'INVALID_ARGUMENT',
        `${u.name} was announced as ${u.size} bytes; more arrived. Start the upload again.`,
      );
    this.busy.add(id);
    try {
      const kind = this.kinds[u.kind]!;
      if (offset === 0 && kind.head) {
        const problem = kind.head(data);
        if (problem) {
          await this.discard(owner, id);
          throw new AppError('INVALID_ARGUMENT', `${u.name} ${problem}`, { details: { reason: 'head' } });
        }
      }
      await u.fh!.write(data, 0, data.length, offset);
      u.received += data.length;
      u.touched = this.now();
      if (u.received < u.size) return { received: u.received, size: u.size, finished: null };
      await u.fh!.close();
      u.fh = null;
      let checked: Record<string, unknown> = {};
      try {
        checked = kind.check ? await kind.check(u.path, u.name) : {};
      } catch (e) {
        await this.discard(owner, id);
        throw e;
      }
      u.finished = { id, name: u.name, path: u.path, size: u.size, checked };
      return { received: u.received, size: u.size, finished: u.finished };
    } finally {
      this.busy.delete(id);
    }
  }

  /**
   * Lends a finished upload's file to `use` and removes it afterwards, whatever `use` did: an upload
   * is consumed once.
   */
  async consume<T>(
    owner: string,
    id: string,
    kind: string,
    use: (f: FinishedUpload) => Promise<T>,
  ): Promise<T> {
    const u = this.get(owner, id);
    if (u.kind !== kind)
      throw new AppError('INVALID_ARGUMENT', `${u.name} was not sent as ${this.kinds[kind]?.what ?? kind}.`);
    if (!u.finished || u.taken)
      throw new AppError('CONFLICT', `${u.name} is not complete yet (${u.received} of ${u.size} bytes).`);
    u.taken = true;
    try {
      return await use(u.finished);
    } finally {
      await this.discard(owner, id);
    }
  }

  /** Removes the upload and its file; false when there was none. */
  async discard(owner: string, id: string): Promise<boolean> {
    const u = this.open.get(id);
    if (!u || u.owner !== owner) return false;
    this.open.delete(id);
    await u.fh?.close().catch(() => undefined);
    await rm(u.path, { force: true });
    return true;
  }

  /** Everything an owner began (its window closed or its socket dropped). */
  async release(owner: string): Promise<void> {
    for (const u of [...this.open.values()]) if (u.owner === owner) await this.discard(owner, u.id);
  }

  /** Removes uploads idle for longer than idleMs (not those being consumed). */
  async sweep(): Promise<number> {
    const cutoff = this.now() - this.limits.idleMs;
    let n = 0;
    for (const u of [...this.open.values()])
      if (!u.taken && u.touched < cutoff && (await this.discard(u.owner, u.id))) n++;
    return n;
  }

  /** Closes and removes every upload and this process's folder. */
  async dispose(): Promise<void> {
    for (const u of [...this.open.values()]) await this.discard(u.owner, u.id);
    await rm(this.dir, { recursive: true, force: true });
  }

  private get(owner: string, id: string): Open {
    const u = ID.test(id) ? this.open.get(id) : undefined;
    // Another window's upload is as unknown as one that never was.
    if (!u || u.owner !== owner)
      throw new AppError(
        'NOT_FOUND',
        'That upload is unknown or was removed (cancelled, idle, or used); send the file again.',
      );
    return u;
  }
}
