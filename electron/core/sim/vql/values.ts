/**
 * VQL values and their protocols (truthiness, equality, ordering, arithmetic, member access), following
 * vfilter's dispatchers closely enough that responder queries behave as on a real server. Plain JS values
 * stand for VQL's: null, booleans, numbers, strings, arrays and plain objects (ordered dicts).
 */
import type { SelectStatement } from './ast';

export type Row = Record<string, unknown>;

/** A point in time; serialises like Go's time.Time (RFC 3339, fractional seconds only when non-zero). */
export class VqlTime {
  constructor(readonly ms: number) {}

  toJSON(): string {
    if (!Number.isFinite(this.ms)) return '0001-01-01T00:00:00Z';
    const iso = new Date(this.ms).toISOString();
    return iso.replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
  }

  toString(): string {
    return this.toJSON();
  }

  member(name: string): unknown {
    switch (name) {
      case 'Unix':
        return Math.floor(this.ms / 1000);
      case 'UnixNano':
        return this.ms * 1_000_000;
      case 'UnixMilli':
        return this.ms;
      case 'Year':
        return new Date(this.ms).getUTCFullYear();
      case 'Month':
        return new Date(this.ms).getUTCMonth() + 1;
      case 'Day':
        return new Date(this.ms).getUTCDate();
      case 'String':
        return this.toJSON();
      default:
        return undefined;
    }
  }
}

/** A filestore path as VQL functions like create_flow_download return it: `.Components` feeds VFSGetBuffer. */
export class VqlPath {
  constructor(
    readonly components: string[],
    readonly scheme = 'fs',
  ) {}

  get path(): string {
    return `${this.scheme}:/${this.components.join('/')}`;
  }

  toJSON(): string {
    return this.path;
  }

  toString(): string {
    return this.path;
  }

  member(name: string): unknown {
    switch (name) {
      case 'Components':
        return [...this.components];
      case 'Path':
      case 'String':
        return this.path;
      case 'Basename':
        return this.components[this.components.length - 1] ?? '';
      case 'Dirname':
        return new VqlPath(this.components.slice(0, -1), this.scheme);
      default:
        return undefined;
    }
  }
}

/** A query kept unevaluated (LET x = SELECT …, or { SELECT … } in an expression). */
export class StoredQuery {
  constructor(
    readonly query: SelectStatement,
    /** Runs the query, optionally with extra variables layered on top of the captured scope. */
    readonly run: (extra?: Row) => AsyncIterable<Row>,
  ) {}

  async materialise(extra?: Row): Promise<Row[]> {
    const out: Row[] = [];
    for await (const row of this.run(extra)) out.push(row);
    return out;
  }
}

/** An expression kept unevaluated (LET x = expr): evaluated on each access. */
export class LazyExpr {
  constructor(readonly evaluate: () => Promise<unknown>) {}
}

/** A stored function (LET f(a, b) = …). */
export class StoredFunction {
  constructor(
    readonly params: string[],
    readonly call: (args: Row) => Promise<unknown>,
  ) {}
}

export function isRow(v: unknown): v is Row {
  return (
    typeof v === 'object' && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype
  );
}

export function isNull(v: unknown): boolean {
  return v === null || v === undefined;
}

/** Resolves lazy values and stored queries into plain data (for rows on the wire and for functions). */
export async function materialise(v: unknown): Promise<unknown> {
  if (v instanceof LazyExpr) return materialise(await v.evaluate());
  if (v instanceof StoredQuery) return Promise.all((await v.materialise()).map(materialise));
  if (Array.isArray(v)) return Promise.all(v.map(materialise));
  if (isRow(v)) {
    const out: Row = {};
    for (const [k, val] of Object.entries(v)) out[k] = await materialise(val);
    return out;
  }
  return v;
}

export async function truthy(v: unknown): Promise<boolean> {
  if (v instanceof LazyExpr) return truthy(await v.evaluate());
  if (v instanceof StoredQuery) {
    for await (const _row of v.run()) return true;
    return false;
  }
  if (v === null || v === undefined) return false;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0 && !Number.isNaN(v);
  if (typeof v === 'string') return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof VqlTime) return v.ms !== 0;
  if (isRow(v)) return Object.keys(v).length > 0;
  return true;
}

function timeMs(v: unknown): number | undefined {
  if (v instanceof VqlTime) return v.ms;
  return undefined;
}

export function equals(a: unknown, b: unknown): boolean {
  if (isNull(a) || isNull(b)) return isNull(a) && isNull(b);
  if (typeof a === 'number' && typeof b === 'number') return a === b;
  if (typeof a === 'string' && typeof b === 'string') return a === b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b;
  const ta = timeMs(a);
  const tb = timeMs(b);
  if (ta !== undefined && tb !== undefined) return ta === tb;
  if (ta !== undefined && typeof b === 'number') return Math.floor(ta / 1000) === b;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => equals(x, b[i]));
  if (isRow(a) && isRow(b)) {
    const ka = Object.keys(a);
    return ka.length === Object.keys(b).length && ka.every((k) => equals(a[k], b[k]));
  }
  if (a instanceof VqlPath && b instanceof VqlPath) return a.path === b.path;
  return false;
}

/** -1 / 0 / 1, or undefined when the two values cannot be ordered (then < and > are both false). */
export function compare(a: unknown, b: unknown): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  const ta = timeMs(a) ?? (typeof a === 'number' && timeMs(b) !== undefined ? a * 1000 : undefined);
  const tb = timeMs(b) ?? (typeof b === 'number' && timeMs(a) !== undefined ? b * 1000 : undefined);
  if (ta !== undefined && tb !== undefined) return ta < tb ? -1 : ta > tb ? 1 : 0;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  return undefined;
}

/** Sorting order for ORDER BY: nulls first, then numbers, strings, everything else by JSON text. */
export function sortKey(a: unknown, b: unknown): number {
  const c = compare(a, b);
  if (c !== undefined) return c;
  if (isNull(a)) return isNull(b) ? 0 : -1;
  if (isNull(b)) return 1;
  const rank = (v: unknown): number => (typeof v === 'number' ? 0 : typeof v === 'string' ? 1 : 2);
  const r = rank(a) - rank(b);
  return r !== 0 ? r : toJson(a).localeCompare(toJson(b));
}

const regexCache = new Map<string, RegExp | null>();

/** `=~`: case-insensitive regex search (Go RE2 syntax mostly matches JS); arrays match if any item does. */
export function regexMatch(value: unknown, pattern: unknown): boolean {
  if (typeof pattern !== 'string') return false;
  let re = regexCache.get(pattern);
  if (re === undefined) {
    let p = pattern;
    let flags = 'i';
    const inline = /^\(\?([a-z]+)\)/.exec(p);
    if (inline) {
      p = p.slice(inline[0].length);
      if (inline[1]?.includes('s')) flags += 's';
      if (inline[1]?.includes('m')) flags += 'm';
    }
    try {
      re = new RegExp(p, flags);
    } catch {
      re = null;
    }
    if (regexCache.size > 1000) regexCache.clear();
    regexCache.set(pattern, re);
  }
  if (!re) return false;
  if (Array.isArray(value)) return value.some((v) => regexMatch(v, pattern));
  if (isNull(value)) return false;
  return re.test(typeof value === 'string' ? value : toText(value));
}

export function membership(needle: unknown, haystack: unknown): boolean {
  if (Array.isArray(haystack)) return haystack.some((h) => equals(needle, h));
  if (typeof haystack === 'string' && typeof needle === 'string') return haystack.includes(needle);
  if (isRow(haystack) && typeof needle === 'string')
    return Object.prototype.hasOwnProperty.call(haystack, needle);
  return false;
}

export function arithmetic(op: '+' | '-' | '*' | '/', a: unknown, b: unknown): unknown {
  if (isNull(a) || isNull(b)) return null;
  if (typeof a === 'number' && typeof b === 'number') {
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        return b === 0 ? null : a / b;
    }
  }
  if (op === '+') {
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a))
      return Array.isArray(b) ? [...(a as unknown[]), ...(b as unknown[])] : [...(a as unknown[]), b];
    if (isRow(a) && isRow(b)) return { ...a, ...b };
    if (a instanceof VqlTime && typeof b === 'number') return new VqlTime(a.ms + b * 1000);
  }
  if (op === '-') {
    if (a instanceof VqlTime && typeof b === 'number') return new VqlTime(a.ms - b * 1000);
    if (a instanceof VqlTime && b instanceof VqlTime) return (a.ms - b.ms) / 1000;
  }
  return null;
}

/** Member access (a.b): dicts by key, arrays map the member over their items, typed values by name. */
export function member(obj: unknown, name: string): unknown {
  if (isRow(obj)) return Object.prototype.hasOwnProperty.call(obj, name) ? obj[name] : null;
  if (obj instanceof VqlTime || obj instanceof VqlPath) return obj.member(name) ?? null;
  if (Array.isArray(obj)) {
    if (/^\d+$/.test(name)) return obj[Number(name)] ?? null;
    return obj.map((item) => member(item, name));
  }
  return null;
}

export function index(obj: unknown, idx: unknown): unknown {
  if (typeof idx === 'number' && (Array.isArray(obj) || typeof obj === 'string')) {
    const i = idx < 0 ? obj.length + idx : idx;
    return (Array.isArray(obj) ? obj[i] : obj[i]) ?? null;
  }
  if (typeof idx === 'string') return member(obj, idx);
  return null;
}

/** Text form used by str(), format('%v') and regex matching. */
export function toText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v instanceof VqlTime || v instanceof VqlPath) return v.toString();
  return toJson(v);
}

function replacer(_key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) return null;
  if (value instanceof LazyExpr || value instanceof StoredQuery || value instanceof StoredFunction)
    return null;
  if (typeof value === 'bigint') return Number(value);
  return value;
}

export function toJson(v: unknown): string {
  return JSON.stringify(v === undefined ? null : v, replacer);
}
