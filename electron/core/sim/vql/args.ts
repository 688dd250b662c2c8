/**
 * Argument extraction with vfilter's rules and error texts ("Unexpected arg x", "Field x is required",
 * "Field x Should be an int not string."): plugins and functions declare their args, the engine checks.
 */
import type { ArgSpec } from './scope';
import {
  isNull,
  isRow,
  LazyExpr,
  materialise,
  StoredQuery,
  toText,
  truthy,
  VqlTime,
  type Row,
} from './values';

export class ArgError extends Error {}

function goType(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int64' : 'float64';
  if (Array.isArray(v)) return '[]interface {}';
  if (isNull(v)) return 'types.Null';
  return '*ordereddict.Dict';
}

function toInt(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string' && /^\s*-?\d+\s*$/.test(v)) return Number(v);
  if (v instanceof VqlTime) return Math.floor(v.ms / 1000);
  return undefined;
}

export async function extractArgs(spec: ArgSpec, raw: Row): Promise<Row> {
  const out: Row = {};
  // A '*' spec (dict(), format args...) takes any named argument unevaluated.
  if (spec['*']) return { ...raw };
  for (const name of Object.keys(raw)) {
    if (!Object.prototype.hasOwnProperty.call(spec, name)) throw new ArgError(`Unexpected arg ${name}`);
  }
  for (const [name, def] of Object.entries(spec)) {
    if (!Object.prototype.hasOwnProperty.call(raw, name)) {
      if (def.required) throw new ArgError(`Field ${name} is required`);
      continue;
    }
    let value = raw[name];
    if (value instanceof LazyExpr) value = await value.evaluate();
    switch (def.type) {
      case 'query':
        out[name] = value;
        break;
      case 'any':
        out[name] = await materialise(value);
        break;
      case 'string': {
        const v = await materialise(value);
        if (Array.isArray(v) && v.length === 1) out[name] = toText(v[0]);
        else out[name] = toText(v);
        break;
      }
      case 'strings': {
        const v = await materialise(value);
        if (typeof v === 'string') out[name] = [v];
        else if (Array.isArray(v))
          out[name] = v.map((x) =>
            isRow(x) && Object.keys(x).length === 1 ? toText(Object.values(x)[0]) : toText(x),
          );
        else out[name] = [];
        break;
      }
      case 'bool':
        out[name] = await truthy(value);
        break;
      case 'int': {
        const v = await materialise(value);
        const n = toInt(v);
        if (n === undefined) throw new ArgError(`Field ${name} Should be an int not ${goType(v)}.`);
        out[name] = n;
        break;
      }
      case 'float': {
        const v = await materialise(value);
        const n =
          typeof v === 'number'
            ? v
            : typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))
              ? Number(v)
              : undefined;
        if (n === undefined) throw new ArgError(`Field ${name} Should be a float not ${goType(v)}.`);
        out[name] = n;
        break;
      }
      case 'dict': {
        const v = await materialise(value);
        out[name] = isRow(v) ? v : {};
        break;
      }
    }
  }
  return out;
}

export function isStoredQuery(v: unknown): v is StoredQuery {
  return v instanceof StoredQuery;
}
