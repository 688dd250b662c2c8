/**
 * What is compared between a recorded real answer and the simulator's answer to the same query: not
 * the values (the data sets differ) but their shape — columns and their order, the JSON type of each
 * field with the unit of times (s / ms / µs / ns by magnitude, RFC 3339 or Go time strings), whether
 * any rows came back, the order of rows by their time column, the forms of the log lines (numbers,
 * ids and sizes blanked), errors (gRPC code and form), and for VFSGetBuffer whether bytes came back.
 */
import type { BufferExchange, Exchange, QueryExchange, WireMessage } from './recording-stub';

/** A leaf type name, or an object / array / map shape. Alternatives are kept as a sorted list. */
export type Shape =
  string | { object: string[]; fields: Record<string, Shape[]> } | { array: Shape[] } | { map: Shape[] };

const TIME_KEY = /(time|^_ts$|^timestamp$|_at$|^expires$|^started$|^mtime$|^atime$|^ctime$|^btime$)/i;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const GO_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)? [+-]\d{4} \w+$/;
const ID_KEY = /^(C\.[0-9a-f]+|F\.[A-Z0-9]+(\.H)?|H\.[A-Z0-9]+)$/;

function intUnit(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return 'int/0';
  if (a >= 1e17) return 'int/ns';
  if (a >= 1e14) return 'int/us';
  if (a >= 1e11) return 'int/ms';
  if (a >= 1e8) return 'int/s';
  return 'int';
}

function leaf(v: unknown, key: string): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return 'number';
    return TIME_KEY.test(key) ? intUnit(v) : 'int';
  }
  if (typeof v === 'string') {
    if (v === '') return 'string/empty';
    if (TIME_KEY.test(key) && RFC3339.test(v)) return 'string/rfc3339';
    if (TIME_KEY.test(key) && GO_TIME.test(v)) return 'string/gotime';
    return 'string';
  }
  return typeof v;
}

export function shapeOf(v: unknown, key = ''): Shape {
  if (Array.isArray(v)) return { array: v.reduce<Shape[]>((acc, x) => mergeInto(acc, shapeOf(x, key)), []) };
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    const values = v as Record<string, unknown>;
    // Objects keyed by client/flow/hunt ids are maps, not records with fixed fields.
    if (keys.length > 0 && keys.every((k) => ID_KEY.test(k)))
      return { map: keys.reduce<Shape[]>((acc, k) => mergeInto(acc, shapeOf(values[k], k)), []) };
    return { object: keys, fields: Object.fromEntries(keys.map((k) => [k, [shapeOf(values[k], k)]])) };
  }
  return leaf(v, key);
}

function kindOf(s: Shape): string {
  if (typeof s === 'string') return s;
  if ('object' in s) return 'object';
  if ('array' in s) return 'array';
  return 'map';
}

/** Adds `s` to a list of alternatives, merging objects/arrays/maps with their like. */
export function mergeInto(list: Shape[], s: Shape): Shape[] {
  const k = kindOf(s);
  const i = list.findIndex((x) => kindOf(x) === k);
  if (i < 0) return [...list, s].sort((a, b) => kindOf(a).localeCompare(kindOf(b)));
  const cur = list[i] as Shape;
  let merged: Shape = cur;
  if (typeof cur !== 'string' && typeof s !== 'string') {
    if ('object' in cur && 'object' in s) {
      const keys = [...cur.object, ...s.object.filter((x) => !cur.object.includes(x))];
      const fields: Record<string, Shape[]> = {};
      for (const key of keys) {
        let acc = cur.fields[key] ?? (cur.object.includes(key) ? [] : ['absent']);
        for (const alt of s.fields[key] ?? ['absent']) acc = mergeInto(acc, alt);
        if (!s.object.includes(key) && !acc.includes('absent')) acc = mergeInto(acc, 'absent');
        fields[key] = acc;
      }
      merged = { object: keys, fields };
    } else if ('array' in cur && 'array' in s) {
      merged = { array: s.array.reduce(mergeInto, cur.array) };
    } else if ('map' in cur && 'map' in s) {
      merged = { map: s.map.reduce(mergeInto, cur.map) };
    }
  }
  const out = [...list];
  out[i] = merged;
  return out;
}

/** A log line with the parts that change from run to run blanked out. */
export function logForm(line: string): string {
  return line
    .replace(/\n+$/, '')
    .replace(/\b[CFH]\.[A-Za-z0-9]+(\.H)?\b/g, '<id>')
    .replace(/\b\d+(\.\d+)? ?(B|kB|MB|GB)\b/g, '<size>')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\{.*\}/g, '{…}')
    .replace(/\d+(\.\d+)?(ns|µs|us|ms|s|m|h)\b/g, '<duration>')
    .replace(/\d+/g, '<n>');
}

/**
 * What of a log form is compared: the parts that list the server's own plugin set or scope
 * ("Did you mean …" suggestions, the variables of "Current Scope is …") are not reproducible by a
 * simulator with another plugin set, so only the sentence up to them is.
 */
export function looseLogForm(form: string): string {
  return form.replace(/Did you mean .*$/, 'Did you mean …').replace(/(Current Scope is:?) .*$/, '$1 …');
}

export interface QueryShape {
  /** The VQL text plus the artifact names among its env values (one source() per source). */
  key: string;
  vql: string;
  /** Exchanges with this VQL text that were merged here. */
  calls: number;
  /** Columns of the first rows message of each statement, in order, per queryId. */
  columns: Record<string, string[]>;
  rows: Shape[];
  /** 'some' when any call returned rows, 'none' when none did. */
  rowsReturned: 'some' | 'none';
  /** Order of rows by their first time column, per call: asc / desc / mixed (single rows say nothing). */
  order: string[];
  logForms: string[];
  errors: string[];
}

export interface BufferShape {
  components: number;
  clientIdSet: boolean;
  outcome: string[];
}

const ORDER_KEYS = ['create_time', 'Timestamp', '_ts', 'client_time', '_Idx'];

function orderOf(rows: unknown[]): string | undefined {
  const first = rows[0];
  if (rows.length < 2 || first === null || typeof first !== 'object') return undefined;
  const key = ORDER_KEYS.find((k) => typeof (first as Record<string, unknown>)[k] === 'number');
  if (!key) return undefined;
  const vals = rows.map((r) => Number((r as Record<string, unknown>)[key]));
  let asc = true;
  let desc = true;
  for (let i = 1; i < vals.length; i++) {
    if ((vals[i] as number) < (vals[i - 1] as number)) asc = false;
    if ((vals[i] as number) > (vals[i - 1] as number)) desc = false;
  }
  return `${key}:${asc ? 'asc' : desc ? 'desc' : 'mixed'}`;
}

function rowsOf(m: WireMessage): unknown[] {
  if ('rows' in m) return m.rows;
  if ('jsonl' in m)
    return m.jsonl
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as unknown);
  return [];
}

/** Shapes of all exchanges with the same VQL text (or the same buffer request kind), merged. */
export function summarize(exchanges: Exchange[]): { queries: QueryShape[]; buffers: BufferShape[] } {
  const queries = new Map<string, QueryShape>();
  const buffers = new Map<string, BufferShape>();
  for (const ex of exchanges) {
    if (ex.kind === 'buffer') summarizeBuffer(buffers, ex);
    else summarizeQuery(queries, ex);
  }
  return { queries: [...queries.values()], buffers: [...buffers.values()] };
}

const ARTIFACT_VALUE = /^[A-Z][A-Za-z0-9]+(\.[A-Za-z0-9_]+)+(\/[A-Za-z0-9_ .-]+)?$/;

/** Queries with the same text differ in what they read when an env value names an artifact or source. */
export function queryKey(ex: Pick<QueryExchange, 'vql' | 'env'>): string {
  const names = Object.values(ex.env).filter((v) => ARTIFACT_VALUE.test(v));
  return names.length ? `${ex.vql} [${names.join(', ')}]` : ex.vql;
}

function summarizeQuery(into: Map<string, QueryShape>, ex: QueryExchange): void {
  const key = queryKey(ex);
  const q = into.get(key) ?? {
    key,
    vql: ex.vql,
    calls: 0,
    columns: {},
    rows: [],
    rowsReturned: 'none',
    order: [],
    logForms: [],
    errors: [],
  };
  q.calls++;
  const callRows: unknown[] = [];
  for (const m of ex.messages) {
    if ('log' in m) {
      const f = logForm(m.log);
      if (!q.logForms.includes(f)) q.logForms.push(f);
      continue;
    }
    const rows = rowsOf(m);
    if (rows.length && q.columns[String(m.queryId)] === undefined) q.columns[String(m.queryId)] = m.columns;
    for (const r of rows) q.rows = mergeInto(q.rows, shapeOf(r));
    callRows.push(...rows);
  }
  if (callRows.length) q.rowsReturned = 'some';
  const o = orderOf(callRows);
  if (o && !q.order.includes(o)) q.order.push(o);
  if (ex.error) {
    const e = `${ex.error.code} ${logForm(ex.error.details)}`;
    if (!q.errors.includes(e)) q.errors.push(e);
  }
  q.logForms.sort();
  q.order.sort();
  into.set(key, q);
}

function summarizeBuffer(into: Map<string, BufferShape>, ex: BufferExchange): void {
  const key = `${ex.components.length}|${ex.clientIdSet}`;
  const b = into.get(key) ?? { components: ex.components.length, clientIdSet: ex.clientIdSet, outcome: [] };
  const o = ex.error ? `error ${ex.error.code}` : ex.bytes ? 'bytes' : 'empty';
  if (!b.outcome.includes(o)) b.outcome.push(o);
  b.outcome.sort();
  into.set(key, b);
}

function nonNull(list: Shape[]): Shape[] {
  // Unset proto fields read as null, 0 or "": they say nothing about the type.
  return list.filter((s) => s !== 'null' && s !== 'int/0' && s !== 'string/empty' && s !== 'absent');
}

/**
 * Where `sim` differs from `real`, as readable lines (empty when the shapes agree). A field that is
 * null in one answer and typed in the other is not a difference (unset proto fields); an extra or a
 * missing field is.
 */
export function diffShapes(real: Shape[], sim: Shape[], path: string): string[] {
  const out: string[] = [];
  const r = nonNull(real);
  const s = nonNull(sim);
  if (r.length === 0 || s.length === 0) return out;
  const rk = new Set(r.map(kindOf));
  const sk = new Set(s.map(kindOf));
  const common = [...rk].filter((k) => sk.has(k));
  if (common.length === 0) {
    out.push(`${path}: real ${[...rk].join('|')}, simulator ${[...sk].join('|')}`);
    return out;
  }
  for (const k of common) {
    const a = r.find((x) => kindOf(x) === k) as Shape;
    const b = s.find((x) => kindOf(x) === k) as Shape;
    if (typeof a === 'string' || typeof b === 'string') continue;
    if ('object' in a && 'object' in b) {
      const missing = a.object.filter((x) => !b.object.includes(x));
      const extra = b.object.filter((x) => !a.object.includes(x));
      if (missing.length) out.push(`${path}: simulator lacks ${missing.join(', ')}`);
      if (extra.length) out.push(`${path}: simulator adds ${extra.join(', ')}`);
      for (const key of a.object.filter((x) => b.object.includes(x)))
        out.push(...diffShapes(a.fields[key] ?? [], b.fields[key] ?? [], `${path}.${key}`));
    } else if ('array' in a && 'array' in b) {
      out.push(...diffShapes(a.array, b.array, `${path}[]`));
    } else if ('map' in a && 'map' in b) {
      out.push(...diffShapes(a.map, b.map, `${path}{}`));
    }
  }
  return out;
}

export function diffQuery(real: QueryShape, sim: QueryShape | undefined): string[] {
  if (!sim) return [`the simulator run never sent this query`];
  const out: string[] = [];
  for (const [id, cols] of Object.entries(real.columns)) {
    const simCols = sim.columns[id];
    if (simCols && simCols.join(',') !== cols.join(','))
      out.push(`columns of statement ${id}: real [${cols.join(', ')}], simulator [${simCols.join(', ')}]`);
  }
  if (real.rowsReturned !== sim.rowsReturned)
    out.push(`rows: real ${real.rowsReturned}, simulator ${sim.rowsReturned}`);
  out.push(...diffShapes(real.rows, sim.rows, 'row'));
  const realOrders = new Set(real.order);
  if (realOrders.size === 1 && ![...realOrders][0]?.endsWith('mixed')) {
    const want = [...realOrders][0] as string;
    const bad = sim.order.filter((o) => o !== want);
    if (bad.length) out.push(`row order: real ${want}, simulator ${bad.join(', ')}`);
  }
  const realLogs = real.logForms.map(looseLogForm);
  const simLogs = sim.logForms.map(looseLogForm);
  const missingLogs = [...new Set(realLogs.filter((f) => !simLogs.includes(f)))];
  const extraLogs = [...new Set(simLogs.filter((f) => !realLogs.includes(f)))];
  if (missingLogs.length) out.push(`log lines the simulator does not give: ${JSON.stringify(missingLogs)}`);
  if (extraLogs.length) out.push(`log lines only the simulator gives: ${JSON.stringify(extraLogs)}`);
  if (real.errors.join('\n') !== sim.errors.join('\n'))
    out.push(`errors: real ${JSON.stringify(real.errors)}, simulator ${JSON.stringify(sim.errors)}`);
  return out;
}

export function diffBuffers(real: BufferShape[], sim: BufferShape[]): string[] {
  const out: string[] = [];
  for (const b of real) {
    const s = sim.find((x) => x.components === b.components && x.clientIdSet === b.clientIdSet);
    if (!s) out.push(`VFSGetBuffer (${b.components} components, client_id ${b.clientIdSet}): not sent`);
    else if (s.outcome.join(',') !== b.outcome.join(','))
      out.push(
        `VFSGetBuffer (${b.components} components, client_id ${b.clientIdSet}): real ${b.outcome.join(',')}, simulator ${s.outcome.join(',')}`,
      );
  }
  return out;
}

/** The parts of a recording that are compared (record.ts Recording has these and more). */
export interface ComparableRecording {
  outcome: { outcome: string; error?: { code: string; message: string } };
  queries: QueryShape[];
  buffers: BufferShape[];
}

/** Every way the simulator's recording of a step differs from the real one (empty when none). */
export function differences(real: ComparableRecording, sim: ComparableRecording | undefined): string[] {
  if (!sim) return ['the simulator run has no such step'];
  const out: string[] = [];
  const ro = real.outcome;
  const so = sim.outcome;
  if (ro.outcome !== so.outcome || ro.error?.code !== so.error?.code)
    out.push(
      `outcome in the product: real ${ro.outcome}${ro.error ? ` ${ro.error.code}` : ''}, simulator ${so.outcome}${so.error ? ` ${so.error.code} (${so.error.message})` : ''}`,
    );
  for (const q of real.queries) {
    const d = diffQuery(
      q,
      sim.queries.find((x) => x.key === q.key),
    );
    const label = q.vql.length > 80 ? `${q.vql.slice(0, 80)}…${q.key.slice(q.vql.length)}` : q.key;
    out.push(...d.map((x) => `${label} — ${x}`));
  }
  out.push(...diffBuffers(real.buffers, sim.buffers));
  return out;
}
