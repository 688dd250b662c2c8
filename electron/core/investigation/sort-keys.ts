/**
 * Sort keys of one column for every row of a result set, extracted once and kept compact: a number
 * per row (Float64Array) or a dictionary id (Int32Array) into the column's distinct strings. Results
 * repeat values a lot (host names, users, process names), so the dictionary stays small where it
 * matters; a million rows cost 12 MB plus the distinct values, instead of a million key strings.
 * Order: numbers before text, numbers by value, text by code unit after lower-casing (as before).
 */
import { parseJsonExact, type BigIntMode } from '../velociraptor/index';
import { cellText } from './cell-text';

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

export class ColumnKeys {
  private n = 0;
  private nums = new Float64Array(1024);
  /** Dictionary id of a text key; -1 for a number key. */
  private ids = new Int32Array(1024);
  private readonly dict = new Map<string, number>();
  private readonly texts: string[] = [];
  private ranked: { n: number; ranks: Uint32Array; distinct: number } | null = null;

  constructor(readonly column: string) {}

  /** Rows with a key. */
  get size(): number {
    return this.n;
  }

  add(key: SortKey): void {
    if (this.n === this.ids.length) this.grow();
    if (typeof key === 'number') {
      this.nums[this.n] = key;
      this.ids[this.n] = -1;
    } else {
      let id = this.dict.get(key);
      if (id === undefined) {
        id = this.texts.length;
        this.dict.set(key, id);
        this.texts.push(key);
      }
      this.ids[this.n] = id;
    }
    this.n++;
  }

  /**
   * Each row's rank among the distinct keys (equal keys, equal rank), and how many distinct keys
   * there are. Recomputed only after rows were added.
   */
  ranks(): { ranks: Uint32Array; distinct: number } {
    if (this.ranked?.n === this.n) return this.ranked;
    const n = this.n;
    let numbers = 0;
    for (let i = 0; i < n; i++) if ((this.ids[i] as number) < 0) numbers++;
    // Distinct numbers, sorted (a typed-array sort is native and fast), then each row's by binary search.
    const sorted = new Float64Array(numbers);
    for (let i = 0, k = 0; i < n; i++) if ((this.ids[i] as number) < 0) sorted[k++] = this.nums[i] as number;
    sorted.sort();
    let distinctNums = 0;
    for (let k = 0; k < sorted.length; k++)
      if (k === 0 || sorted[k] !== sorted[k - 1]) sorted[distinctNums++] = sorted[k] as number;
    const textOrder = this.texts
      .map((_, id) => id)
      .sort((a, b) => {
        const x = this.texts[a] as string;
        const y = this.texts[b] as string;
        return x < y ? -1 : x > y ? 1 : 0;
      });
    const textRank = new Uint32Array(this.texts.length);
    for (let r = 0; r < textOrder.length; r++) textRank[textOrder[r] as number] = distinctNums + r;
    const ranks = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const id = this.ids[i] as number;
      if (id >= 0) ranks[i] = textRank[id] as number;
      else {
        const v = this.nums[i] as number;
        let lo = 0;
        let hi = distinctNums - 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if ((sorted[mid] as number) < v) lo = mid + 1;
          else hi = mid;
        }
        ranks[i] = lo;
      }
    }
    this.ranked = { n, ranks, distinct: distinctNums + this.texts.length };
    return this.ranked;
  }

  /** Bytes held (typed arrays and an estimate for the distinct texts). */
  get heldBytes(): number {
    let text = 0;
    for (const t of this.texts) text += t.length + 24;
    return this.nums.byteLength + this.ids.byteLength + (this.ranked?.ranks.byteLength ?? 0) + text;
  }

  private grow(): void {
    const nums = new Float64Array(this.ids.length * 2);
    nums.set(this.nums);
    const ids = new Int32Array(this.ids.length * 2);
    ids.set(this.ids);
    this.nums = nums;
    this.ids = ids;
  }
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
