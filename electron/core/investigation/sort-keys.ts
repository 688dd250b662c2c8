/**
 * Sort keys of one column for every row of a result set, extracted once and kept compact: a number
 * per row (Float64Array) or a dictionary id (Int32Array) into the column's distinct strings, each
 * array made only when the column has such keys. Results repeat values a lot (host names, users,
 * process names), so the dictionary stays small where it matters; a million rows of a text column
 * cost 4 MB plus the distinct values, instead of a million key strings.
 * Order: numbers before text, numbers by value, text by code unit after lower-casing (as before).
 *
 * A raw batch's keys are read from its column copy (`addLines`, column-copy.ts: the column's values
 * alone, one per line) or, for a batch or column without one, from the batch's bytes (`addBatch`: the
 * batch restored and searched for the column in every row). A value met before is recognised by its
 * bytes (a small hash table over a bounded copy of them), so a repeated host or command line is
 * neither decoded nor lower-cased again.
 */
import { parseJsonExact, type BigIntMode } from '../velociraptor/index';
import { cellText } from './cell-text';
import { opensToken, skipSpaces, topLevelValue, valueEnd } from './raw-scan';

export type SortKey = string | number;

/** A value's sort key: numbers and numeric text by value, everything else by its lower-cased cell text. */
export function sortKey(v: unknown): SortKey {
  if (typeof v === 'number') return v === 0 ? 0 : v;
  if (typeof v === 'string' && mayBeNumber(v) && /^-?\d+(\.\d+)?$/.test(v)) {
    const n = Number(v);
    return n === 0 ? 0 : n;
  }
  return cellText(v).toLowerCase();
}

/** First character a digit or "-": most text is rejected without the regular expression. */
function mayBeNumber(v: string): boolean {
  const c = v.charCodeAt(0);
  return (c >= 0x30 && c <= 0x39) || c === 0x2d;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;

/**
 * The sort key of the JSON value in buf[s, e) (s < 0: the row lacks the column), read without
 * building the row: the same key `sortKey` gives for the parsed value.
 */
export function keyFromRaw(buf: Buffer, s: number, e: number, mode: BigIntMode): SortKey {
  if (s < 0) return '';
  const c = buf[s];
  if (c === QUOTE) {
    const plain = buf.indexOf(BACKSLASH, s) < 0 || buf.indexOf(BACKSLASH, s) >= e;
    return sortKey(
      plain ? buf.toString('utf8', s + 1, e - 1) : (JSON.parse(buf.toString('utf8', s, e)) as string),
    );
  }
  if ((c !== undefined && c >= 0x30 && c <= 0x39) || c === 0x2d)
    return sortKey(Number(buf.toString('latin1', s, e)));
  return sortKey(parseJsonExact(buf.toString('utf8', s, e), mode));
}

/** Slots of a column's raw-value cache (a power of two), filled to at most half. */
const CACHE_SLOTS = 1 << 16;
/** Longest raw value the cache keeps, and the bytes it keeps in all. */
const CACHE_VALUE = 512;
const CACHE_BYTES = 4 << 20;

/** Integer keys whose span and row count fit one exact double together (2^32 × 2^21 = 2^53). */
const PACK_SPAN = 2 ** 32;
const PACK_ROWS = 2 ** 21;

export class ColumnKeys {
  private n = 0;
  /** Number keys; allocated when the column's first number comes. */
  private nums: Float64Array | null = null;
  /** Dictionary id of a text key, -1 for a number key; allocated when the first text comes. */
  private ids: Int32Array | null = null;
  private capacity: number;
  private readonly dict = new Map<string, number>();
  private readonly texts: string[] = [];
  private ranked: { n: number; ranks: Uint32Array; distinct: number } | null = null;
  /**
   * Raw string values already met (their JSON bytes, unescaped and short) → text id: most values
   * repeat (hosts, users, names), so most rows cost a hash of their bytes instead of a decoded,
   * lower-cased string and a Map lookup. Slot k: [hash, arena offset, length, id].
   */
  private slots = new Int32Array(0);
  private cached = 0;
  private arena = Buffer.alloc(0);
  private arenaUsed = 0;

  /**
   * `rows`: how many rows are expected (a set's size when it is sorted): the arrays are made that
   * large at once instead of doubling, which left their smaller copies for the collector.
   */
  constructor(
    readonly column: string,
    rows = 1024,
  ) {
    this.capacity = Math.max(1024, rows);
  }

  /** Rows with a key. */
  get size(): number {
    return this.n;
  }

  add(key: SortKey): void {
    if (typeof key === 'number') this.addNumber(key);
    else this.addText(this.textId(key));
  }

  private textId(key: string): number {
    let id = this.dict.get(key);
    if (id === undefined) {
      id = this.texts.length;
      this.dict.set(key, id);
      this.texts.push(key);
    }
    return id;
  }

  private addNumber(v: number): void {
    if (this.n === this.capacity) this.grow();
    this.nums ??= new Float64Array(this.capacity);
    this.nums[this.n] = v;
    if (this.ids) this.ids[this.n] = -1;
    this.n++;
  }

  private addText(id: number): void {
    if (this.n === this.capacity) this.grow();
    if (!this.ids) {
      this.ids = new Int32Array(this.capacity);
      if (this.n > 0) this.ids.fill(-1, 0, this.n);
    }
    this.ids[this.n] = id;
    this.n++;
  }

  /**
   * The keys of every row of a raw batch (`delims` as row-scan.ts gives them, `flat` from
   * raw-scan.ts flatRows), read from the bytes: the same keys `sortKey` gives for the parsed values.
   * A flat row's value is found with one search for `"column":` (see raw-scan.ts columnRanges for
   * why that is exact there) and read in one pass; any other row is walked key by key.
   */
  addBatch(buf: Buffer, delims: Uint32Array, count: number, flat: Uint8Array, mode: BigIntMode): void {
    const json = JSON.stringify(this.column).slice(1, -1);
    const key = Buffer.from(json);
    const pattern = Buffer.from(`"${json}":`);
    let next = buf.indexOf(pattern, (delims[0] as number) + 1);
    for (let r = 0; r < count; r++) {
      const from = (delims[r] as number) + 1;
      const to = delims[r + 1] as number;
      while (next >= 0 && next < from) next = buf.indexOf(pattern, from);
      if (flat[r] === 1 && next >= 0 && next < to && opensToken(buf, from, next)) {
        const vs = skipSpaces(buf, next + pattern.length, to);
        const ve = this.addValue(buf, vs, to, mode);
        next = buf.indexOf(pattern, ve);
        if (next < 0 || next >= to) continue;
        this.n--; // the key again in the same row: the last one wins, found by the walk below
      }
      const v = topLevelValue(buf, from, to, key, this.column);
      if (v) this.add(keyFromRaw(buf, v[0], v[1], mode));
      else this.add('');
    }
  }

  /**
   * The keys of `count` rows from a column copy (column-copy.ts: each row's value as JSON text, one
   * line per row, an empty line where the row lacks the column): the keys `addBatch` reads.
   */
  addLines(lines: Buffer, count: number, mode: BigIntMode): void {
    let p = 0;
    for (let r = 0; r < count; r++) {
      if (lines[p] === NEWLINE) {
        this.addText(this.textId(''));
        p++;
      } else p = this.addValue(lines, p, lines.length, mode) + 1;
    }
  }

  /** Adds the key of the value at buf[s] (within the row ending at `to`); returns the value's end. */
  private addValue(buf: Buffer, s: number, to: number, mode: BigIntMode): number {
    const c = buf[s] as number;
    if (c === QUOTE) {
      // One pass to the closing quote: its end, whether it holds escapes or non-ASCII bytes.
      let escaped = false;
      let ascii = true;
      let i = s + 1;
      for (; i < to; i++) {
        const b = buf[i] as number;
        if (b === QUOTE) break;
        if (b === BACKSLASH) {
          escaped = true;
          i++;
        } else if (b >= 0x80) ascii = false;
      }
      if (i >= to) {
        const e = valueEnd(buf, s, to);
        this.add(keyFromRaw(buf, s, e, mode));
        return e;
      }
      const e = i + 1;
      // The same bytes always decode to the same key: repeated values skip the decoding.
      const len = e - s - 2;
      const cacheable = len <= CACHE_VALUE;
      const h = cacheable ? sampleHash(buf, s + 1, len) : 0;
      const hit = cacheable ? this.lookup(buf, s + 1, len, h) : -1;
      if (hit >= 0) {
        this.addText(hit);
        return e;
      }
      const text = escaped
        ? (JSON.parse(buf.toString('utf8', s, e)) as string)
        : ascii
          ? buf.toString('latin1', s + 1, e - 1)
          : buf.toString('utf8', s + 1, e - 1);
      const k = sortKey(text);
      if (typeof k === 'number') this.addNumber(k);
      else {
        const id = this.textId(k);
        if (cacheable) this.remember(buf, s + 1, len, h, id);
        this.addText(id);
      }
      return e;
    }
    const e = valueEnd(buf, s, to);
    if ((c >= 0x30 && c <= 0x39) || c === 0x2d) this.addNumber(numberAt(buf, s, e));
    else this.add(keyFromRaw(buf, s, e, mode));
    return e;
  }

  /** The text id of the raw value buf[at, at + len) with hash `h`, or -1. */
  private lookup(buf: Buffer, at: number, len: number, h: number): number {
    if (this.cached === 0) return -1;
    const slots = this.slots;
    const arena = this.arena;
    for (let k = (h & (CACHE_SLOTS - 1)) * 4; ; k = (k + 4) & (CACHE_SLOTS * 4 - 1)) {
      const id = slots[k + 3] as number;
      if (id === 0) return -1; // ids are stored + 1: 0 is an empty slot
      if (slots[k] === h && slots[k + 2] === len) {
        const off = slots[k + 1] as number;
        let same = true;
        for (let q = 0; q < len; q++)
          if (arena[off + q] !== buf[at + q]) {
            same = false;
            break;
          }
        if (same) return id - 1;
      }
    }
  }

  private remember(buf: Buffer, at: number, len: number, h: number, id: number): void {
    if (this.cached * 2 >= CACHE_SLOTS || this.arenaUsed + len > CACHE_BYTES) return;
    if (this.slots.length === 0) this.slots = new Int32Array(CACHE_SLOTS * 4);
    if (this.arenaUsed + len > this.arena.length) {
      const bigger = Buffer.alloc(Math.min(CACHE_BYTES, Math.max(4096, (this.arenaUsed + len) * 2)));
      this.arena.copy(bigger, 0, 0, this.arenaUsed);
      this.arena = bigger;
    }
    buf.copy(this.arena, this.arenaUsed, at, at + len);
    const slots = this.slots;
    let k = (h & (CACHE_SLOTS - 1)) * 4;
    while (slots[k + 3] !== 0) k = (k + 4) & (CACHE_SLOTS * 4 - 1);
    slots[k] = h;
    slots[k + 1] = this.arenaUsed;
    slots[k + 2] = len;
    slots[k + 3] = id + 1;
    this.arenaUsed += len;
    this.cached++;
  }

  /**
   * Each row's rank among the distinct keys (equal keys, equal rank), and how many distinct keys
   * there are. Recomputed only after rows were added.
   */
  ranks(): { ranks: Uint32Array; distinct: number } {
    if (this.ranked?.n === this.n) return this.ranked;
    const n = this.n;
    const ids = this.ids;
    const ranks = new Uint32Array(n);
    const distinctNums = this.nums ? this.rankNumbers(ranks) : 0;
    const textOrder = this.texts
      .map((_, id) => id)
      .sort((a, b) => {
        const x = this.texts[a] as string;
        const y = this.texts[b] as string;
        return x < y ? -1 : x > y ? 1 : 0;
      });
    const textRank = new Uint32Array(this.texts.length);
    for (let r = 0; r < textOrder.length; r++) textRank[textOrder[r] as number] = distinctNums + r;
    if (ids)
      for (let i = 0; i < n; i++) {
        const id = ids[i] as number;
        if (id >= 0) ranks[i] = textRank[id] as number;
      }
    this.ranked = { n, ranks, distinct: distinctNums + this.texts.length };
    return this.ranked;
  }

  /** Writes the rank of every number key among the distinct numbers into `ranks`; returns how many there are. */
  private rankNumbers(ranks: Uint32Array): number {
    const n = this.n;
    const ids = this.ids;
    const nums = this.nums as Float64Array;
    let numbers = 0;
    let min = Infinity;
    let max = -Infinity;
    let ints = true;
    for (let i = 0; i < n; i++) {
      if (ids && (ids[i] as number) >= 0) continue;
      const v = nums[i] as number;
      numbers++;
      if (v < min) min = v;
      if (v > max) max = v;
      if (ints && !Number.isInteger(v)) ints = false;
    }
    if (numbers === 0) return 0;
    if (ints && max - min < PACK_SPAN && n <= PACK_ROWS) {
      // Integers (Pids, sizes, epochs): value and row packed in one exact double, so one native sort
      // orders the rows, and a walk gives the ranks.
      const packed = new Float64Array(numbers);
      for (let i = 0, k = 0; i < n; i++)
        if (!ids || (ids[i] as number) < 0) packed[k++] = ((nums[i] as number) - min) * PACK_ROWS + i;
      packed.sort();
      let rank = -1;
      let prev = -1;
      for (let k = 0; k < numbers; k++) {
        const p = packed[k] as number;
        const v = Math.floor(p / PACK_ROWS);
        if (v !== prev) {
          rank++;
          prev = v;
        }
        ranks[p - v * PACK_ROWS] = rank;
      }
      return rank + 1;
    }
    // Distinct numbers, sorted (a typed-array sort is native and fast), then each row's by binary search.
    const sorted = new Float64Array(numbers);
    for (let i = 0, k = 0; i < n; i++) if (!ids || (ids[i] as number) < 0) sorted[k++] = nums[i] as number;
    sorted.sort();
    let distinct = 0;
    for (let k = 0; k < sorted.length; k++)
      if (k === 0 || sorted[k] !== sorted[k - 1]) sorted[distinct++] = sorted[k] as number;
    for (let i = 0; i < n; i++) {
      if (ids && (ids[i] as number) >= 0) continue;
      const v = nums[i] as number;
      let lo = 0;
      let hi = distinct - 1;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((sorted[mid] as number) < v) lo = mid + 1;
        else hi = mid;
      }
      ranks[i] = lo;
    }
    return distinct;
  }

  /** Bytes held (typed arrays and an estimate for the distinct texts). */
  get heldBytes(): number {
    let text = 0;
    for (const t of this.texts) text += t.length + 24;
    return (
      (this.nums?.byteLength ?? 0) +
      (this.ids?.byteLength ?? 0) +
      (this.ranked?.ranks.byteLength ?? 0) +
      this.slots.byteLength +
      this.arena.length +
      text
    );
  }

  private grow(): void {
    this.capacity *= 2;
    if (this.nums) {
      const nums = new Float64Array(this.capacity);
      nums.set(this.nums);
      this.nums = nums;
    }
    if (this.ids) {
      const ids = new Int32Array(this.capacity);
      ids.set(this.ids);
      this.ids = ids;
    }
  }
}

/**
 * A hash of a raw value from its length and at most its first and last 16 bytes: cheap on long values
 * (command lines), and the cache compares the whole value anyway.
 */
function sampleHash(buf: Buffer, at: number, len: number): number {
  let h = Math.imul(0x811c9dc5 ^ len, 0x01000193);
  const head = Math.min(len, 16);
  for (let q = 0; q < head; q++) h = Math.imul(h ^ (buf[at + q] as number), 0x01000193);
  for (let q = Math.max(head, len - 16); q < len; q++) h = Math.imul(h ^ (buf[at + q] as number), 0x01000193);
  return h;
}

/**
 * The number at buf[s, e): integers of up to 15 digits are read digit by digit (exact); anything
 * else through Number(), as keyFromRaw does. -0 is 0, as in sortKey.
 */
function numberAt(buf: Buffer, s: number, e: number): number {
  const neg = buf[s] === 0x2d;
  let i = neg ? s + 1 : s;
  if (e - i > 0 && e - i <= 15) {
    let v = 0;
    for (; i < e; i++) {
      const d = (buf[i] as number) - 0x30;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i === e) return neg ? (v === 0 ? 0 : -v) : v;
  }
  return sortKey(Number(buf.toString('latin1', s, e))) as number;
}

/**
 * `ids` (row indices) ordered by their rows' ranks, equal ranks in the order given (arrival order):
 * a counting sort, linear in rows and distinct keys. `desc` reverses the key order, not the ties.
 */
export function orderByRank(
  ids: ArrayLike<number> | null,
  count: number,
  ranks: Uint32Array,
  distinct: number,
  desc: boolean,
): Uint32Array {
  const n = ids ? ids.length : count;
  const id = (i: number): number => (ids ? (ids[i] as number) : i);
  const next = new Uint32Array(distinct + 1);
  for (let i = 0; i < n; i++) {
    const r = ranks[id(i)] as number;
    next[(desc ? distinct - 1 - r : r) + 1]!++;
  }
  for (let r = 0; r < distinct; r++) next[r + 1]! += next[r]!;
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const row = id(i);
    const r = ranks[row] as number;
    out[next[desc ? distinct - 1 - r : r]!++] = row;
  }
  return out;
}
