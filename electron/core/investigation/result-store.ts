/**
 * Result sets behind the grids, kept in the core so the renderer holds only the rows it paints.
 * A set is a list of chunks, one per batch. A VQL cell's batches stay as the bytes the server sent
 * (`pushRaw`: counted and delimited by row-scan.ts, not parsed, kept brotli-compressed): a million
 * parsed rows cost ~550 MB and, being long-lived, made every major GC mark them while the query was
 * still streaming; compressed bytes cost a fraction of their size and no GC work. Rows pushed parsed
 * (`push`) stay parsed.
 *
 * A window finds its chunks by binary search and parses only what it needs (a run of rows, or a
 * whole chunk when it needs a good part of it, then kept in a small LRU). Big integers stay exact
 * (parseRowRange). Columns are the union of the batches' Columns in arrival order plus the keys met
 * whenever rows are parsed: a later row may carry a column the batch's first row lacked, and it
 * appears once its rows were read. A view (sort + filter) is an index array, extended as rows arrive.
 * Neither parses rows (raw-scan.ts): a sort reads one column's values from the batch's column copy
 * (column-copy.ts, made when the batch arrived; else straight from the batch's bytes) into compact keys
 * kept per column (sort-keys.ts; the next sort on it, either way or with a filter, reuses them); a
 * filter finds candidate rows with one search of the lower-cased bytes and parses only those
 * to check them.
 */
import { randomUUID } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants as zlib } from 'node:zlib';
import { csvLine } from '../../../shared/csv';
import { AppError } from '../../../shared/errors';
import { parseRowRange, stringifyExact } from '../velociraptor/index';
import type { BigIntMode, RawRows } from '../velociraptor/index';
import { cellText } from './cell-text';
import { copyBytes, copyColumns, unpackLines, type ColumnCopy } from './column-copy';
import { filterCandidates, flatRows, rawNeedle } from './raw-scan';
import { ColumnKeys, orderByRank, sortKey } from './sort-keys';

type Row = Record<string, unknown>;

export interface View {
  sort: { column: string; desc: boolean } | null;
  filter: string;
}

interface Chunk {
  /** Index of the chunk's first row in the set. */
  readonly start: number;
  readonly count: number;
  /** The batch as received (`bytes` brotli-compressed when `packedFrom` > 0: the original length). */
  readonly raw: RawRows | null;
  readonly packedFrom: number;
  readonly rows: readonly Row[] | null;
  /** Every row's keys are among the set's columns. */
  keysSeen: boolean;
  /** Which rows hold no nested value (raw-scan.ts flatRows), once a view needed it. */
  flat?: Uint8Array;
  /** The batch's values by column (column-copy.ts), made when it arrived; null when it has none. */
  readonly copy: ColumnCopy | null;
}

/** Rows that pass one filter, in arrival order, from the chunks read so far. */
interface FilterState {
  filter: string;
  chunks: number;
  ids: number[];
}

/** One column's sort keys, from the chunks read so far. */
interface SortState {
  keys: ColumnKeys;
  chunks: number;
}

/** Columns whose sort keys are kept (the most recently sorted). */
const SORT_COLUMNS = 2;
/** Restored batches kept for windows (a sorted page reads a few rows of many batches). */
const UNPACKED = 16;

export interface ResultSetOptions {
  /** Parsed raw chunks kept for windows (LRU). Default 8. */
  parsedChunks?: number;
  /** How integers beyond 2^53 are parsed from raw chunks. Default 'string' (grid text is the same). */
  bigInts?: BigIntMode;
  /** Keep raw batches brotli-compressed (quality 0). Default true. */
  compress?: boolean;
}

// Raw batches are kept compressed: memory that is first touched is the dominant cost of holding rows on
// a VM (first touch of 313 MB took 4.6–6.2 s on the benchmark machine: ~60 µs per 4 kB page fault),
// and a desktop keeps up to 24 sets. Brotli at quality 0 compresses a 300 kB batch in 0.2–0.6 ms
// (5.5x on varied process rows, 27x on the simulator's repeated bulk rows) and restores it in ~0.8 ms.
const PACK = { params: { [zlib.BROTLI_PARAM_QUALITY]: 0, [zlib.BROTLI_PARAM_MODE]: zlib.BROTLI_MODE_TEXT } };
/** Kept plain when compression saves less than this share (base64 blobs save ~25%: not worth a decompression per read). */
const MIN_SAVING = 0.3;

/**
 * `b`, or a copy of just its bytes when its underlying buffer holds more than `spare` other bytes: a
 * kept batch must not pin memory it does not use. The copy is not from the pool (a pooled copy would
 * pin an 8 kB slab in turn).
 */
function ownBytes(b: Buffer, spare: number): Buffer {
  if (b.buffer.byteLength - b.length <= spare) return b;
  const own = Buffer.allocUnsafeSlow(b.length);
  b.copy(own);
  return own;
}

export class ResultSet {
  readonly columns: string[] = [];
  complete = false;
  private readonly known = new Set<string>();
  private readonly chunks: Chunk[] = [];
  private total = 0;
  private filtering: FilterState | undefined;
  private readonly sorting = new Map<string, SortState>();
  private cachedIndex: { key: string; size: number; index: Uint32Array } | undefined;
  private readonly parsed = new Map<Chunk, readonly Row[]>();
  private readonly unpacked = new Map<Chunk, Buffer>();
  private readonly maxParsed: number;
  private readonly mode: BigIntMode;
  private readonly compress: boolean;
  private held = 0;

  constructor(
    readonly id: string,
    readonly owner: string,
    options: ResultSetOptions = {},
  ) {
    this.maxParsed = Math.max(1, options.parsedChunks ?? 8);
    this.mode = options.bigInts ?? 'string';
    this.compress = options.compress ?? true;
  }

  /** Rows held. */
  get size(): number {
    return this.total;
  }

  /** Bytes held for raw batches and their column copies (compressed or not; parsed rows not counted). */
  get heldBytes(): number {
    return this.held;
  }

  /** Raw chunks currently held parsed (bounded by `parsedChunks`). */
  get parsedChunks(): number {
    return this.parsed.size;
  }

  /** Parsed rows (kept as they are). */
  push(rows: readonly Row[], columns: readonly string[]): void {
    for (const c of columns) this.addColumn(c);
    if (rows.length === 0) return;
    this.learnKeys(rows);
    this.addChunk({
      start: this.total,
      count: rows.length,
      raw: null,
      packedFrom: 0,
      rows,
      keysSeen: true,
      copy: null,
    });
  }

  /** A raw batch (QueryOptions.raw): kept as bytes, parsed when read. */
  pushRaw(raw: RawRows, columns: readonly string[]): void {
    for (const c of columns) this.addColumn(c);
    if (raw.count === 0) return;
    let kept: RawRows | null = null;
    let packedFrom = 0;
    if (this.compress) {
      const packed = brotliCompressSync(raw.bytes, {
        ...PACK,
        params: { ...PACK.params, [zlib.BROTLI_PARAM_SIZE_HINT]: raw.bytes.length },
      });
      if (packed.length <= raw.bytes.length * (1 - MIN_SAVING)) {
        // zlib hands back a slice of its 16 kB output chunk when one was enough: keep only the bytes.
        kept = { ...raw, bytes: ownBytes(packed, 1024) };
        packedFrom = raw.bytes.length;
      }
    }
    // Kept as received: a decoded message's bytes share one buffer with the whole message, and a small
    // batch may sit in a pool slab other data shares; copied when that would pin much more.
    kept ??= { ...raw, bytes: ownBytes(raw.bytes, raw.bytes.length + 4096) };
    // Made while the bytes are at hand: a first sort then reads one column, not every batch restored.
    const copy = this.compress ? copyColumns(raw.bytes, raw.delims, raw.count) : null;
    this.held += kept.bytes.length + (copy ? copyBytes(copy) : 0);
    this.addChunk({
      start: this.total,
      count: raw.count,
      raw: kept,
      packedFrom,
      rows: null,
      keysSeen: false,
      copy,
    });
  }

  /** A raw chunk's batch bytes (restored when compressed; kept in a small LRU when `keep`). */
  private bytesOf(c: Chunk, keep = false): Buffer {
    const raw = c.raw as RawRows;
    if (!c.packedFrom) return raw.bytes;
    const hit = this.unpacked.get(c);
    if (hit) {
      this.unpacked.delete(c);
      this.unpacked.set(c, hit);
      return hit;
    }
    const bytes = brotliDecompressSync(raw.bytes, { chunkSize: Math.max(1024, c.packedFrom) });
    if (keep) {
      this.unpacked.set(c, bytes);
      while (this.unpacked.size > UNPACKED) {
        const oldest = this.unpacked.keys().next().value;
        if (oldest === undefined) break;
        this.unpacked.delete(oldest);
      }
    }
    return bytes;
  }

  private addChunk(c: Chunk): void {
    this.chunks.push(c);
    this.total += c.count;
  }

  private addColumn(c: string): void {
    if (!this.known.has(c)) {
      this.known.add(c);
      this.columns.push(c);
    }
  }

  private learnKeys(rows: readonly Row[]): void {
    for (let i = 0; i < rows.length; i++) for (const k in rows[i]) if (!this.known.has(k)) this.addColumn(k);
  }

  /** The chunk holding row `row` (0 <= row < size). */
  private chunkAt(row: number): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.chunks[mid] as Chunk).start <= row) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** A chunk's rows, whole: parsed once (keys learned); kept in the LRU when `keep`. */
  private chunkRows(c: Chunk, keep: boolean): readonly Row[] {
    if (c.rows) return c.rows;
    const hit = this.parsed.get(c);
    if (hit) {
      this.parsed.delete(c);
      this.parsed.set(c, hit);
      return hit;
    }
    const raw = c.raw as RawRows;
    const rows = parseRowRange(this.bytesOf(c), raw.delims, 0, raw.count, this.mode);
    if (!c.keysSeen) {
      this.learnKeys(rows);
      c.keysSeen = true;
    }
    if (keep) {
      this.parsed.set(c, rows);
      while (this.parsed.size > this.maxParsed) {
        const oldest = this.parsed.keys().next().value;
        if (oldest === undefined) break;
        this.parsed.delete(oldest);
      }
    }
    return rows;
  }

  /** The rows with these ids (any order), parsing only what is not held. */
  private rowsFor(ids: ArrayLike<number>): Row[] {
    const n = ids.length;
    const out = new Array<Row>(n);
    const order = Array.from({ length: n }, (_, p) => p).sort(
      (p, q) => (ids[p] as number) - (ids[q] as number),
    );
    const idAt = (k: number): number => ids[order[k] as number] as number;
    let k = 0;
    while (k < n) {
      const c = this.chunks[this.chunkAt(idAt(k))] as Chunk;
      const end = c.start + c.count;
      let k2 = k + 1;
      while (k2 < n && idAt(k2) < end) k2++;
      const held = c.rows ?? this.parsed.get(c);
      if (held || (k2 - k) * 4 >= c.count) {
        const rows = this.chunkRows(c, true);
        for (let t = k; t < k2; t++) out[order[t] as number] = rows[idAt(t) - c.start] as Row;
      } else {
        // Few rows of a big chunk (a sorted view's page touches many chunks): parse runs of adjacent rows.
        const raw = c.raw as RawRows;
        const bytes = this.bytesOf(c, true);
        let r = k;
        while (r < k2) {
          let s = r;
          while (s + 1 < k2 && idAt(s + 1) === idAt(s) + 1) s++;
          const a = idAt(r) - c.start;
          const part = parseRowRange(bytes, raw.delims, a, idAt(s) - c.start + 1, this.mode);
          this.learnKeys(part);
          for (let t = r; t <= s; t++) out[order[t] as number] = part[idAt(t) - c.start - a] as Row;
          r = s + 1;
        }
      }
      k = k2;
    }
    return out;
  }

  /** Reads every chunk whose keys were not learned yet (rows not kept). */
  private learnAllKeys(): void {
    for (const c of this.chunks) if (!c.keysSeen) this.chunkRows(c, false);
  }

  /** Indices of rows in view order, or null for "all rows in arrival order". */
  viewIndex(view: View): Uint32Array | null {
    const filter = view.filter.trim().toLowerCase();
    if (!view.sort && !filter) return null;
    const key = JSON.stringify([view.sort, filter]);
    const c = this.cachedIndex;
    if (c?.key === key && c.size === this.total) return c.index;
    const ids = filter ? this.filtered(filter) : null;
    let index: Uint32Array;
    if (view.sort) {
      const { ranks, distinct } = this.sortKeys(view.sort.column).ranks();
      index = orderByRank(ids, this.total, ranks, distinct, view.sort.desc);
    } else index = Uint32Array.from(ids ?? []);
    this.cachedIndex = { key, size: this.total, index };
    return index;
  }

  /** Rows passing `filter` (lower-cased), reading only the chunks that arrived since the last call. */
  private filtered(filter: string): number[] {
    let f = this.filtering;
    if (f?.filter !== filter) {
      f = { filter, chunks: 0, ids: [] };
      this.filtering = f;
    }
    const needle = rawNeedle(filter);
    for (; f.chunks < this.chunks.length; f.chunks++) {
      const c = this.chunks[f.chunks] as Chunk;
      const held = c.rows ?? this.parsed.get(c);
      if (held || !needle) {
        const rows = held ?? this.chunkRows(c, false);
        for (let j = 0; j < rows.length; j++) if (matches(rows[j] as Row, filter)) f.ids.push(c.start + j);
        continue;
      }
      // The bytes decide most rows; the doubtful ones are checked on their parsed rows (runs parsed at once).
      const raw = c.raw as RawRows;
      const bytes = this.bytesOf(c);
      const { sure, check } = filterCandidates(bytes, raw.delims, raw.count, needle, this.flatOf(c, bytes));
      const checked: number[] = [];
      for (let k = 0; k < check.length;) {
        let e = k;
        while (e + 1 < check.length && check[e + 1] === (check[e] as number) + 1) e++;
        const a = check[k] as number;
        const parsed = parseRowRange(bytes, raw.delims, a, (check[e] as number) + 1, this.mode);
        for (let t = 0; t < parsed.length; t++) if (matches(parsed[t] as Row, filter)) checked.push(a + t);
        k = e + 1;
      }
      // Both lists ascend: merged in row order.
      for (let i = 0, j = 0; i < sure.length || j < checked.length;) {
        const take =
          j >= checked.length || (i < sure.length && (sure[i] as number) < (checked[j] as number))
            ? (sure[i++] as number)
            : (checked[j++] as number);
        f.ids.push(c.start + take);
      }
    }
    return f.ids;
  }

  private flatOf(c: Chunk, bytes: Buffer): Uint8Array {
    const raw = c.raw as RawRows;
    c.flat ??= flatRows(bytes, raw.delims, raw.count);
    return c.flat;
  }

  /** The sort keys of `column` for every row, extended by the chunks that arrived since the last call. */
  private sortKeys(column: string): ColumnKeys {
    let s = this.sorting.get(column);
    if (s) this.sorting.delete(column);
    else s = { keys: new ColumnKeys(column, this.total), chunks: 0 };
    this.sorting.set(column, s);
    while (this.sorting.size > SORT_COLUMNS) {
      const oldest = this.sorting.keys().next().value;
      if (oldest === undefined) break;
      this.sorting.delete(oldest);
    }
    for (; s.chunks < this.chunks.length; s.chunks++) {
      const c = this.chunks[s.chunks] as Chunk;
      const lines = c.copy?.get(column);
      if (c.copy && lines !== null) {
        if (lines) s.keys.addLines(unpackLines(lines), c.count, this.mode);
        else for (let j = 0; j < c.count; j++) s.keys.add(''); // no row of the batch has the column
        continue;
      }
      const held = c.rows ?? this.parsed.get(c);
      if (held) {
        for (let j = 0; j < held.length; j++) s.keys.add(sortKey((held[j] as Row)[column]));
        continue;
      }
      const raw = c.raw as RawRows;
      const bytes = this.bytesOf(c);
      s.keys.addBatch(bytes, raw.delims, raw.count, this.flatOf(c, bytes), this.mode);
    }
    return s.keys;
  }

  window(offset: number, limit: number, view: View): { matched: number; rows: string[][] } {
    const index = this.viewIndex(view);
    const matched = index ? index.length : this.total;
    const end = Math.min(matched, offset + limit);
    const ids: number[] = [];
    for (let i = offset; i < end; i++) ids.push(index ? (index[i] as number) : i);
    const rows = this.rowsFor(ids);
    // After the read: it may have met columns the batches' Columns lacked.
    const cols = this.columns;
    return { matched, rows: rows.map((r) => cols.map((c) => cellText(r[c]))) };
  }

  /**
   * The JSON text of the first rows in arrival order, at most `limit` rows and about `maxBytes`: raw
   * rows exactly as the server sent them (big integers and all), parsed ones serialized exactly.
   */
  rowsJson(limit: number, maxBytes: number): string[] {
    const out: string[] = [];
    let bytes = 0;
    for (const c of this.chunks) {
      if (c.rows) {
        for (const r of c.rows) {
          const text = stringifyExact(r);
          if (out.length >= limit || bytes + text.length > maxBytes) return out;
          out.push(text);
          bytes += text.length;
        }
        continue;
      }
      const raw = c.raw as RawRows;
      const buf = this.bytesOf(c);
      for (let k = 0; k < raw.count; k++) {
        const text = buf.toString('utf8', (raw.delims[k] as number) + 1, raw.delims[k + 1]).trim();
        if (out.length >= limit || bytes + text.length > maxBytes) return out;
        out.push(text);
        bytes += text.length;
      }
    }
    return out;
  }

  exportText(
    format: 'csv' | 'json',
    columns: readonly string[] | undefined,
    view: View,
  ): { text: string; rows: number } {
    const index = this.viewIndex(view);
    const n = index ? index.length : this.total;
    let fixed: string[] | null = null;
    if (columns?.length) {
      if (columns.some((c) => !this.known.has(c))) this.learnAllKeys();
      fixed = columns.filter((c) => this.known.has(c));
    }
    // Rows are read chunk by chunk (never all parsed at once) and placed at their view position.
    let pos: Int32Array | null = null;
    if (index) {
      pos = new Int32Array(this.total).fill(-1);
      for (let i = 0; i < index.length; i++) pos[index[i] as number] = i;
    }
    const head = format === 'csv' ? 1 : 0;
    const parts = new Array<string>(n + head);
    // Without a column choice the columns can grow while reading; CSV lines written before get
    // empty cells appended (their rows had none of the later columns).
    const widths = format === 'csv' && !fixed ? new Uint32Array(n) : null;
    for (const c of this.chunks) {
      const rows = this.chunkRows(c, false);
      const cols = fixed ?? this.columns;
      for (let j = 0; j < rows.length; j++) {
        const p = pos ? (pos[c.start + j] as number) : c.start + j;
        if (p < 0) continue;
        const r = rows[j] as Row;
        parts[p + head] =
          format === 'csv'
            ? csvLine(cols.map((col) => cellText(r[col])))
            : cellText(Object.fromEntries(cols.map((col) => [col, r[col]])));
        if (widths) widths[p] = cols.length;
      }
    }
    const finalCols = fixed ?? this.columns;
    if (widths) {
      const w = finalCols.length;
      for (let p = 0; p < n; p++) {
        const have = widths[p] as number;
        if (have < w) parts[p + 1] += ','.repeat(have === 0 ? w - 1 : w - have);
      }
    }
    if (head) parts[0] = csvLine(finalCols);
    return { text: parts.join('\n') + '\n', rows: n };
  }
}

/** Case-insensitive substring over the row's cells (cells of absent columns are empty). */
function matches(r: Row, filter: string): boolean {
  for (const k in r) if (cellText(r[k]).toLowerCase().includes(filter)) return true;
  return false;
}

/** Result sets by id. A caller may hold a few; the oldest go when the cap is reached. */
export class ResultStore {
  private readonly sets = new Map<string, ResultSet>();
  constructor(private readonly maxSets = 24) {}

  create(owner: string, options?: ResultSetOptions): ResultSet {
    const set = new ResultSet(randomUUID(), owner, options);
    this.sets.set(set.id, set);
    while (this.sets.size > this.maxSets) {
      const oldest = this.sets.keys().next().value;
      if (oldest === undefined) break;
      this.sets.delete(oldest);
    }
    return set;
  }

  get(id: string): ResultSet {
    const s = this.sets.get(id);
    if (!s)
      throw new AppError(
        'NOT_FOUND',
        'These results are no longer held (too many result sets were opened since). Run the cell or open the results again.',
      );
    return s;
  }

  release(id: string): boolean {
    return this.sets.delete(id);
  }

  /** Drops every set of an owner (its window closed, its socket dropped); returns how many. */
  releaseOwner(owner: string): number {
    let n = 0;
    for (const [id, s] of this.sets) {
      if (s.owner === owner) {
        this.sets.delete(id);
        n++;
      }
    }
    return n;
  }

  /** Sets held (all owners, or one). */
  count(owner?: string): number {
    if (owner === undefined) return this.sets.size;
    let n = 0;
    for (const s of this.sets.values()) if (s.owner === owner) n++;
    return n;
  }
}
