/**
 * The audit log: one JSON line per MCP call (tools, resources, prompts), appended to a file in the
 * data dir so it survives restarts and so a stdio server started by an assistant writes to the same
 * log the app shows. Arguments are redacted before they are written.
 *
 * Appends are queued in call order and written by one writer, a batch of lines per `write` on an
 * O_APPEND file (lines from several processes do not interleave), so a tool's answer does not wait
 * for the disk. The file stays open while calls keep coming and is closed after a second idle
 * (opening and closing it for every line cost more CPU than the call itself). Durable and ordered: a failed write keeps its lines at the head of the queue and
 * the next append retries them; `flush()` resolves once everything queued is on disk (the stdio
 * server and the app call it on shutdown; pending writes also keep the process alive until done).
 * `failing` tells callers that the last write failed, so they can wait for their own entry and
 * withhold a result that cannot be audited (fail closed).
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditEntry } from '../../../shared/contracts/mcp';
import type { Redactor } from './redact';
import { asError } from '../../../shared/errors';

export { AuditEntry };

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

function batch(): Batch {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Callers that do not wait for their line must not see an unhandled rejection.
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

export class AuditLog {
  readonly path: string;
  private readonly listeners = new Set<(e: AuditEntry) => void>();
  private tailOffset = -1;
  private tailTimer: NodeJS.Timeout | undefined;
  private tailing: Promise<void> | undefined;
  /** Serialised lines not yet written, oldest first, and the batch their appends wait on. */
  private queue: string[] = [];
  private open: Batch | undefined;
  private writer: Promise<void> | undefined;
  private lastError: Error | undefined;
  private fh: FileHandle | undefined;
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    dataDir: string,
    private readonly redactor: Redactor,
  ) {
    this.path = join(dataDir, 'mcp-audit.jsonl');
  }

  /** True while the last write failed (its lines wait at the head of the queue for a retry). */
  get failing(): boolean {
    return this.lastError !== undefined;
  }

  /**
   * Queues one entry (redacted and validated now: an invalid entry throws here) and returns a
   * promise that resolves when its line is on disk. Lines are written in the order of the calls.
   */
  append(entry: AuditEntry): Promise<void> {
    const safe = AuditEntry.parse(this.redactor.value(entry));
    this.queue.push(JSON.stringify(safe) + '\n');
    const b = (this.open ??= batch());
    this.writer ??= this.drain();
    return b.promise;
  }

  /** Resolves when every entry queued so far is written; rejects if a write fails. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.writer) {
      this.writer ??= this.drain();
      await this.writer;
      if (this.lastError && this.queue.length > 0) throw this.lastError;
    }
  }

  private async drain(): Promise<void> {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    try {
      while (this.queue.length > 0) {
        const lines = this.queue;
        const b = this.open ?? batch();
        this.queue = [];
        this.open = undefined;
        try {
          await this.write(Buffer.from(lines.join(''), 'utf8'));
          this.lastError = undefined;
          b.resolve();
        } catch (e) {
          // Keep order and lose nothing: the lines go back in front of those queued meanwhile, and
          // the next append (or flush) retries them, on a freshly opened file.
          this.queue = [...lines, ...this.queue];
          this.lastError = asError(e);
          await this.closeFile();
          b.reject(this.lastError);
          return;
        }
      }
    } finally {
      this.writer = undefined;
      if (this.fh && !this.idleTimer) {
        this.idleTimer = setTimeout(() => {
          this.idleTimer = undefined;
          if (!this.writer) void this.closeFile();
        }, 1000);
        this.idleTimer.unref();
      }
    }
  }

  private async write(buf: Buffer): Promise<void> {
    this.fh ??= await open(this.path, 'a', 0o600);
    let off = 0;
    while (off < buf.length) off += (await this.fh.write(buf, off, buf.length - off)).bytesWritten;
  }

  private async closeFile(): Promise<void> {
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
  }

  /** Newest first: entries before `beforeIndex` (line number), at most `limit`. */
  async page(
    limit: number,
    beforeIndex?: number,
  ): Promise<{ entries: Array<AuditEntry & { index: number }>; total: number }> {
    // This process's queued lines first, so a reader sees every call made before it asked.
    await this.flush().catch(() => undefined);
    const all = await this.readAll();
    const end = beforeIndex === undefined ? all.length : Math.min(beforeIndex, all.length);
    const start = Math.max(0, end - limit);
    const entries = all
      .slice(start, end)
      .map((e, i) => ({ ...e, index: start + i }))
      .reverse();
    return { entries, total: all.length };
  }

  /**
   * Calls `listener` for every entry appended from now on, by this process or another one (a stdio
   * server). Polls the file size while anyone listens.
   */
  subscribe(listener: (e: AuditEntry) => void): () => void {
    this.listeners.add(listener);
    if (!this.tailTimer) {
      this.tailing = this.size().then((s) => {
        this.tailOffset = s;
      });
      this.tailTimer = setInterval(() => void this.poll(), 250);
      this.tailTimer.unref?.();
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.tailTimer) {
        clearInterval(this.tailTimer);
        this.tailTimer = undefined;
      }
    };
  }

  private async size(): Promise<number> {
    try {
      return (await stat(this.path)).size;
    } catch {
      return 0;
    }
  }

  private polling = false;
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.tailing;
      const size = await this.size();
      if (size <= this.tailOffset) return;
      const fh = await open(this.path, 'r');
      try {
        const buf = Buffer.alloc(size - this.tailOffset);
        await fh.read(buf, 0, buf.length, this.tailOffset);
        const text = buf.toString('utf8');
        const lastNl = text.lastIndexOf('\n');
        if (lastNl < 0) return;
        this.tailOffset += Buffer.byteLength(text.slice(0, lastNl + 1));
        for (const line of text.slice(0, lastNl).split('\n')) {
          const e = parseLine(line);
          if (e) for (const l of this.listeners) l(e);
        }
      } finally {
        await fh.close();
      }
    } catch {
      // The next poll retries; a missing file just means nothing was logged yet.
    } finally {
      this.polling = false;
    }
  }

  private async readAll(): Promise<AuditEntry[]> {
    let text = '';
    try {
      const fh = await open(this.path, 'r');
      try {
        text = await fh.readFile('utf8');
      } finally {
        await fh.close();
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const out: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      const e = parseLine(line);
      if (e) out.push(e);
    }
    return out;
  }

  /** Stops tailing and closes the file once queued lines are written (call flush() first to wait). */
  close(): void {
    if (this.tailTimer) clearInterval(this.tailTimer);
    this.tailTimer = undefined;
    this.listeners.clear();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    void (this.writer ?? Promise.resolve()).then(() => (this.writer ? undefined : this.closeFile()));
  }
}

function parseLine(line: string): AuditEntry | undefined {
  if (line.trim() === '') return undefined;
  try {
    const p = AuditEntry.safeParse(JSON.parse(line));
    return p.success ? p.data : undefined;
  } catch {
    return undefined;
  }
}
