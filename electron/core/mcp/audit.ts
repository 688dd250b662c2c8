/**
 * The audit log: one JSON line per MCP call (tools, resources, prompts), appended to a file in the
 * data dir so it survives restarts and so a stdio server started by an assistant writes to the same
 * log the app shows. Arguments are redacted before they are written. Appends are single `write`
 * calls on an O_APPEND file, so lines from several processes do not interleave.
 */
import { appendFile, open, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditEntry } from '../../../shared/contracts/mcp';
import type { Redactor } from './redact';

export { AuditEntry };

export class AuditLog {
  readonly path: string;
  private readonly listeners = new Set<(e: AuditEntry) => void>();
  private tailOffset = -1;
  private tailTimer: NodeJS.Timeout | undefined;
  private tailing: Promise<void> | undefined;

  constructor(
    dataDir: string,
    private readonly redactor: Redactor,
  ) {
    this.path = join(dataDir, 'mcp-audit.jsonl');
  }

  async append(entry: AuditEntry): Promise<void> {
    const safe = AuditEntry.parse(this.redactor.value(entry));
    await appendFile(this.path, JSON.stringify(safe) + '\n', { mode: 0o600, flag: 'a' });
  }

  /** Newest first: entries before `beforeIndex` (line number), at most `limit`. */
  async page(limit: number, beforeIndex?: number): Promise<{ entries: Array<AuditEntry & { index: number }>; total: number }> {
    const all = await this.readAll();
    const end = beforeIndex === undefined ? all.length : Math.min(beforeIndex, all.length);
    const start = Math.max(0, end - limit);
    const entries = all.slice(start, end).map((e, i) => ({ ...e, index: start + i })).reverse();
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

  close(): void {
    if (this.tailTimer) clearInterval(this.tailTimer);
    this.tailTimer = undefined;
    this.listeners.clear();
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
