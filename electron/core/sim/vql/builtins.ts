/**
 * The general-purpose VQL functions and plugins a responder uses in notebooks (vfilter's and
 * Velociraptor's names and argument names). Server-specific plugins live in ../server/.
 */
import { goSprintf } from './format';
import type { FunctionDef, PluginDef, PluginItem, QueryContext } from './scope';
import {
  isNull,
  isRow,
  materialise,
  StoredQuery,
  toText,
  truthy,
  VqlTime,
  type Row,
  compare,
} from './values';
import { messageOf } from '../../../../shared/errors';

const logDedup = new WeakMap<QueryContext, Map<string, number>>();

function fn(def: FunctionDef): FunctionDef {
  return def;
}

function toInt(v: unknown): number | null {
  if (typeof v === 'number') return Math.trunc(v);
  if (typeof v === 'string' && v.trim() !== '') {
    const n = Number.parseInt(v.trim(), v.trim().startsWith('0x') ? 16 : 10);
    return Number.isNaN(n) ? 0 : n;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof VqlTime) return Math.floor(v.ms / 1000);
  return 0;
}

/** Epoch numbers are taken as seconds, milliseconds, microseconds or nanoseconds by magnitude, as Velociraptor does. */
export function epochToMs(n: number): number {
  const abs = Math.abs(n);
  if (abs > 1e17) return n / 1e6;
  if (abs > 1e14) return n / 1e3;
  if (abs > 1e11) return n;
  return n * 1000;
}

function toTime(v: unknown): VqlTime | null {
  if (v instanceof VqlTime) return v;
  if (typeof v === 'number') return new VqlTime(epochToMs(v));
  if (typeof v === 'string') {
    if (/^\s*-?\d+(\.\d+)?\s*$/.test(v)) return new VqlTime(epochToMs(Number(v)));
    const ms = Date.parse(v);
    return Number.isNaN(ms) ? null : new VqlTime(ms);
  }
  return null;
}

export const builtinFunctions: FunctionDef[] = [
  fn({
    name: 'now',
    doc: 'Returns the current time in seconds since the epoch.',
    args: {},
    call: (_a, scope) => Math.floor(scope.ctx.now() / 1000),
  }),
  fn({
    name: 'sleep',
    doc: 'Sleep for the specified number of seconds. Always returns true.',
    args: { time: { type: 'int' }, ms: { type: 'int' } },
    call: async (a, scope) => {
      const ms = toInt(a.ms) || (toInt(a.time) ?? 0) * 1000;
      // As Velociraptor's: a negative or zero delay returns at once; cancelling the query ends it.
      if (ms > 0)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, ms);
          function done() {
            clearTimeout(timer);
            scope.ctx.signal.removeEventListener('abort', done);
            resolve();
          }
          scope.ctx.signal.addEventListener('abort', done);
        });
      return true;
    },
  }),
  fn({
    name: 'timestamp',
    doc: 'Convert from different types to a time.Time.',
    args: {
      epoch: { type: 'any' },
      cocoatime: { type: 'int' },
      mactime: { type: 'int' },
      winfiletime: { type: 'int' },
      string: { type: 'string' },
      format: { type: 'string' },
    },
    call: (a) => {
      if (typeof a.winfiletime === 'number') return new VqlTime(a.winfiletime / 10_000 - 11_644_473_600_000);
      if (typeof a.cocoatime === 'number') return new VqlTime((a.cocoatime + 978_307_200) * 1000);
      if (typeof a.mactime === 'number') return new VqlTime((a.mactime - 2_082_844_800) * 1000);
      return toTime(a.epoch ?? a.string);
    },
  }),
  fn({
    name: 'format',
    doc: 'Format one or more items according to a format string.',
    args: { format: { type: 'string', required: true }, args: { type: 'any' } },
    call: (a) => goSprintf(String(a.format), Array.isArray(a.args) ? a.args : isNull(a.args) ? [] : [a.args]),
  }),
  fn({
    name: 'log',
    doc: 'Log a message to the query log stream. Always returns TRUE.',
    args: {
      message: { type: 'string', required: true },
      args: { type: 'any' },
      level: { type: 'string' },
      dedup: { type: 'int' },
    },
    call: (a, scope) => {
      const message = goSprintf(
        String(a.message),
        Array.isArray(a.args) ? a.args : isNull(a.args) ? [] : [a.args],
      );
      // Each distinct format string at most once per `dedup` seconds (default 60; -1: every time).
      const dedup = typeof a.dedup === 'number' ? a.dedup : 60;
      const seen = logDedup.get(scope.ctx) ?? new Map<string, number>();
      logDedup.set(scope.ctx, seen);
      const last = seen.get(String(a.message));
      const now = scope.ctx.now();
      if (dedup >= 0 && last !== undefined && now - last < dedup * 1000) return true;
      seen.set(String(a.message), now);
      const level = typeof a.level === 'string' ? a.level.toUpperCase() : 'DEFAULT';
      // Velociraptor marks a level with a "LEVEL:" prefix (logging.SplitIntoLevelAndLog).
      scope.ctx.log(level === 'DEFAULT' || level === 'INFO' ? message : `${level}:${message}`);
      return true;
    },
  }),
  fn({
    name: 'len',
    doc: 'Returns the length of an object.',
    args: { list: { type: 'any', required: true } },
    call: (a) => {
      const v = a.list;
      if (Array.isArray(v) || typeof v === 'string') return v.length;
      if (isRow(v)) return Object.keys(v).length;
      return 0;
    },
  }),
  fn({
    name: 'int',
    doc: 'Truncate to an integer.',
    args: { int: { type: 'any' } },
    call: (a) => toInt(a.int),
  }),
  fn({
    name: 'str',
    doc: 'Normalize a String.',
    args: { str: { type: 'any', required: true } },
    call: (a) =>
      typeof a.str === 'object' && a.str !== null && !(a.str instanceof VqlTime)
        ? JSON.stringify(a.str)
        : toText(a.str),
  }),
  fn({
    name: 'parse_json',
    doc: 'Parse a JSON string into an object.',
    args: { data: { type: 'string', required: true } },
    call: (a) => {
      try {
        const parsed: unknown = JSON.parse(String(a.data));
        return parsed;
      } catch (e) {
        throw new Error(`parse_json: ${messageOf(e)}`, { cause: e });
      }
    },
  }),
  fn({
    // As in Velociraptor: parse_json() is for objects, parse_json_array() for a JSON list; the
    // app's VQL builder passes every list this way.
    name: 'parse_json_array',
    doc: 'Parse a JSON string into an array.',
    args: { data: { type: 'string', required: true } },
    call: (a) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(a.data));
      } catch (e) {
        throw new Error(`parse_json_array: ${messageOf(e)}`, { cause: e });
      }
      if (!Array.isArray(parsed)) throw new Error('parse_json_array: the data is not a JSON array');
      return parsed as unknown[];
    },
  }),
  fn({
    name: 'upcase',
    doc: 'Returns an upper case version of the string.',
    args: { string: { type: 'string', required: true } },
    call: (a) => String(a.string).toUpperCase(),
  }),
  fn({
    name: 'lowcase',
    doc: 'Returns a lower case version of the string.',
    args: { string: { type: 'string', required: true } },
    call: (a) => String(a.string).toLowerCase(),
  }),
  fn({
    name: 'count',
    doc: 'Counts the items.',
    aggregate: true,
    args: { items: { type: 'any' } },
    call: (_a, _scope, state) => {
      state.value = (typeof state.value === 'number' ? state.value : 0) + 1;
      return state.value;
    },
  }),
  fn({
    name: 'sum',
    doc: 'Sums the items.',
    aggregate: true,
    args: { item: { type: 'any', required: true } },
    call: (a, _s, state) => {
      state.value =
        (typeof state.value === 'number' ? state.value : 0) + (typeof a.item === 'number' ? a.item : 0);
      return state.value;
    },
  }),
  fn({
    name: 'min',
    doc: 'Finds the smallest item in the aggregate.',
    aggregate: true,
    args: { item: { type: 'any', required: true } },
    call: (a, _s, state) => {
      if (state.value === undefined || compare(a.item, state.value) === -1) state.value = a.item;
      return state.value;
    },
  }),
  fn({
    name: 'max',
    doc: 'Finds the largest item in the aggregate.',
    aggregate: true,
    args: { item: { type: 'any', required: true } },
    call: (a, _s, state) => {
      if (state.value === undefined || compare(a.item, state.value) === 1) state.value = a.item;
      return state.value;
    },
  }),
  fn({
    name: 'enumerate',
    doc: 'Collect all the items in each group by bin.',
    aggregate: true,
    args: { items: { type: 'any' } },
    call: (a, _s, state) => {
      const list: unknown[] = Array.isArray(state.value) ? (state.value as unknown[]) : [];
      list.push(a.items);
      state.value = list;
      return list;
    },
  }),
  fn({
    name: 'dict',
    doc: 'Construct a dict from arbitrary keyword args.',
    args: { '*': { type: 'any' } },
    call: (a) => ({ ...a }),
  }),
  fn({
    name: 'whoami',
    doc: 'Returns the username that is running the query.',
    args: {},
    call: (_a, scope) => scope.ctx.user,
  }),
  fn({
    name: 'if',
    doc: 'Conditional execution of query.',
    args: { condition: { type: 'any', required: true }, then: { type: 'query' }, else: { type: 'query' } },
    call: async (a) => ((await truthy(a.condition)) ? a.then : a.else) ?? null,
  }),
  fn({
    name: 'get',
    doc: 'Gets the member field from item.',
    args: {
      item: { type: 'any' },
      member: { type: 'string' },
      field: { type: 'any' },
      default: { type: 'any' },
    },
    call: (a, scope) => {
      const path = typeof a.member === 'string' ? a.member : undefined;
      let base: unknown = a.item;
      if (base === undefined && path !== undefined) {
        const [first, ...rest] = path.split('.');
        const found = scope.lookup(first ?? '');
        if (!found.found) return a.default ?? null;
        base = found.value;
        for (const part of rest) base = isRow(base) ? base[part] : null;
        return base ?? a.default ?? null;
      }
      if (path !== undefined) for (const part of path.split('.')) base = isRow(base) ? base[part] : null;
      else if (a.field !== undefined)
        base = isRow(base)
          ? base[toText(a.field)]
          : Array.isArray(base) && typeof a.field === 'number'
            ? base[a.field]
            : null;
      return base ?? a.default ?? null;
    },
  }),
  fn({
    name: 'join',
    doc: 'Join all the args on a separator.',
    args: { array: { type: 'strings', required: true }, sep: { type: 'string' } },
    call: (a) => (a.array as string[]).join(typeof a.sep === 'string' ? a.sep : ''),
  }),
  fn({
    name: 'split',
    doc: 'Splits a string into an array based on a regexp separator.',
    args: {
      string: { type: 'string', required: true },
      sep: { type: 'string', required: true },
      sep_string: { type: 'string' },
    },
    call: (a) => String(a.string).split(new RegExp(String(a.sep))),
  }),
  fn({
    name: 'array',
    doc: 'Create an array.',
    args: { '*': { type: 'any' } },
    call: async (a) => Promise.all(Object.values(a).map(materialise)),
  }),
  fn({
    name: 'regex_replace',
    doc: 'Search and replace a string with a regexp.',
    args: {
      source: { type: 'string', required: true },
      re: { type: 'string', required: true },
      replace: { type: 'string' },
    },
    call: (a) =>
      String(a.source).replace(
        new RegExp(String(a.re), 'gi'),
        toText(a.replace).replace(/\$\{?(\d+)\}?/g, '$$$1'),
      ),
  }),
  fn({
    name: 'base64encode',
    doc: 'Encode a string as base64.',
    args: { string: { type: 'string', required: true } },
    call: (a) => Buffer.from(String(a.string), 'utf8').toString('base64'),
  }),
  fn({
    name: 'base64decode',
    doc: 'Decodes a base64 encoded string.',
    args: { string: { type: 'string', required: true } },
    // Go strings are bytes: binary data stays a Buffer (copy(accessor='data') writes it as is).
    call: (a) => {
      const bytes = Buffer.from(String(a.string), 'base64');
      const text = bytes.toString('utf8');
      return Buffer.from(text, 'utf8').equals(bytes) ? text : bytes;
    },
  }),
  fn({
    name: 'serialize',
    doc: 'Encode an object as a string.',
    args: { item: { type: 'any', required: true }, format: { type: 'string' } },
    call: (a) => JSON.stringify(a.item),
  }),
  fn({
    name: 'humanize',
    doc: 'Format items in human readable way.',
    args: { bytes: { type: 'int' } },
    call: (a) => humanizeBytes(typeof a.bytes === 'number' ? a.bytes : 0),
  }),
];

/** go-humanize's Bytes(): SI units, "%.1f" below 10 and "%.0f" above (as in the Sending response part log line). */
export function humanizeBytes(n: number): string {
  if (n < 10) return `${n} B`;
  const sizes = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'];
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const val = Math.floor((n / Math.pow(1000, e)) * 10 + 0.5) / 10;
  return `${val < 10 ? val.toFixed(1) : val.toFixed(0)} ${sizes[e] ?? 'B'}`;
}

async function* iterate(v: unknown, extra?: Row): AsyncGenerator<Row> {
  if (v instanceof StoredQuery) {
    yield* v.run(extra);
    return;
  }
  const m = await materialise(v);
  if (Array.isArray(m)) {
    for (const item of m) yield isRow(item) ? item : { _value: item };
  } else if (isRow(m)) yield m;
}

export const builtinPlugins: PluginDef[] = [
  {
    name: 'scope',
    doc: 'The current scope as a single row.',
    args: {},
    async *run(): AsyncGenerator<PluginItem> {
      yield {};
    },
  },
  {
    name: 'foreach',
    doc: "Executes 'query' once for each row in the 'row' query.",
    args: {
      row: { type: 'query', required: true },
      query: { type: 'query' },
      async: { type: 'bool' },
      workers: { type: 'int' },
      column: { type: 'string' },
    },
    async *run(args): AsyncGenerator<PluginItem> {
      for await (const row of iterate(args.row)) {
        const vars: Row = typeof args.column === 'string' && args.column ? { _value: row[args.column] } : row;
        if (args.query === undefined) {
          yield row;
          continue;
        }
        yield* iterate(args.query, vars);
      }
    },
  },
  {
    name: 'range',
    doc: 'Iterate over range.',
    args: { start: { type: 'int' }, end: { type: 'int', required: true }, step: { type: 'int' } },
    async *run(args): AsyncGenerator<PluginItem> {
      const step = typeof args.step === 'number' && args.step > 0 ? args.step : 1;
      const end = Math.min(Number(args.end), 10_000_000);
      for (let i = typeof args.start === 'number' ? args.start : 0; i < end; i += step) yield { _value: i };
    },
  },
  {
    name: 'flatten',
    doc: 'Flatten the columns in query.',
    args: { query: { type: 'query', required: true } },
    async *run(args): AsyncGenerator<PluginItem> {
      for await (const row of iterate(args.query)) {
        const lists = Object.entries(row).filter(([, v]) => Array.isArray(v));
        if (!lists.length) {
          yield row;
          continue;
        }
        const [key, list] = lists[0] as [string, unknown[]];
        for (const item of list) yield { ...row, [key]: item };
      }
    },
  },
  {
    name: 'chain',
    doc: 'Chain the output of several queries into the same table.',
    args: { '*': { type: 'query' } },
    async *run(args): AsyncGenerator<PluginItem> {
      for (const q of Object.values(args)) yield* iterate(q);
    },
  },
];
