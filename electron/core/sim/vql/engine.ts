/**
 * The VQL evaluator: expressions, SELECT (WHERE, GROUP BY with aggregates, ORDER BY, LIMIT), LET
 * (lazy `=` and materialised `<=`), plugin and function dispatch with vfilter's error log lines.
 * Everything is async so that plugins stream, stop on cancellation, and LIMIT ends a plugin early.
 */
import type { Arg, Expr, SelectStatement, Statement } from './ast';
import { ArgError, extractArgs } from './args';
import { CachedThunk, isBatch, type PluginItem, type Scope } from './scope';
import {
  arithmetic,
  compare,
  equals,
  index,
  isRow,
  LazyExpr,
  materialise,
  member,
  membership,
  regexMatch,
  sortKey,
  StoredFunction,
  StoredQuery,
  truthy,
  type Row,
} from './values';
import { messageOf } from '../../../../shared/errors';

class Cancelled extends Error {}

function checkCancelled(scope: Scope): void {
  if (scope.ctx.signal.aborted) throw new Cancelled('cancelled');
}

export function isCancellation(e: unknown): boolean {
  return e instanceof Cancelled;
}

async function resolveValue(v: unknown): Promise<unknown> {
  if (v instanceof CachedThunk) return resolveValue(await v.get());
  if (v instanceof LazyExpr) return resolveValue(await v.evaluate());
  return v;
}

async function evalArgs(args: Arg[], scope: Scope): Promise<Row> {
  const out: Row = {};
  for (const a of args) out[a.name] = await evalExpr(a.value, scope);
  return out;
}

/** vfilter's GetSimilarPlugins: the plugins whose name contains a part of the name (split at _), sorted. */
function similarPlugins(name: string, candidates: Iterable<string>): string[] {
  const parts = name.split('_').filter((p) => p !== '');
  const names = [...candidates];
  return [...new Set(parts.flatMap((part) => names.filter((c) => c.includes(part))))].sort();
}

export async function evalExpr(expr: Expr, scope: Scope): Promise<unknown> {
  switch (expr.kind) {
    case 'literal':
      return expr.value;
    case 'symbol': {
      const { found, value } = scope.lookup(expr.name);
      if (!found) {
        scope.log(`ERROR:Symbol ${expr.name} not found. ${scope.printVars()}`);
        return null;
      }
      return resolveValue(value);
    }
    case 'member': {
      const obj = await resolveValue(await evalExpr(expr.object, scope));
      if (obj instanceof StoredQuery) return member(await materialise(obj), expr.property);
      return member(obj, expr.property);
    }
    case 'index': {
      const obj = await evalExpr(expr.object, scope);
      const idx = await evalExpr(expr.index, scope);
      return index(obj instanceof StoredQuery ? await materialise(obj) : obj, idx);
    }
    case 'list': {
      const out: unknown[] = [];
      for (const item of expr.items) out.push(await evalExpr(item, scope));
      return out;
    }
    case 'unary': {
      const v = await evalExpr(expr.operand, scope);
      if (expr.op === 'NOT') return !(await truthy(v));
      return typeof v === 'number' ? -v : null;
    }
    case 'binary':
      return evalBinary(expr, scope);
    case 'subquery': {
      const captured = scope;
      return new StoredQuery(expr.query, (extra) =>
        rowsOf(runSelect(expr.query, extra ? captured.child(extra) : captured)),
      );
    }
    case 'call':
      return callFunction(expr, scope);
  }
}

async function evalBinary(expr: Extract<Expr, { kind: 'binary' }>, scope: Scope): Promise<unknown> {
  if (expr.op === 'AND')
    return (await truthy(await evalExpr(expr.left, scope))) && truthy(await evalExpr(expr.right, scope));
  if (expr.op === 'OR')
    return (await truthy(await evalExpr(expr.left, scope))) || truthy(await evalExpr(expr.right, scope));
  let left = await evalExpr(expr.left, scope);
  let right = await evalExpr(expr.right, scope);
  if (left instanceof StoredQuery) left = await materialise(left);
  if (right instanceof StoredQuery) right = await materialise(right);
  switch (expr.op) {
    case '=':
      return equals(left, right);
    case '!=':
      return !equals(left, right);
    case '<':
      return compare(left, right) === -1;
    case '>':
      return compare(left, right) === 1;
    case '<=': {
      const c = compare(left, right);
      return c === -1 || c === 0 || equals(left, right);
    }
    case '>=': {
      const c = compare(left, right);
      return c === 1 || c === 0 || equals(left, right);
    }
    case '=~':
      return regexMatch(left, right);
    case 'IN':
      return membership(left, right);
    default:
      return arithmetic(expr.op, left, right);
  }
}

async function callFunction(expr: Extract<Expr, { kind: 'call' }>, scope: Scope): Promise<unknown> {
  const fn = scope.ctx.functions.get(expr.name);
  if (!fn) {
    const { found, value } = scope.lookup(expr.name);
    if (found && value instanceof StoredFunction) return value.call(await evalArgs(expr.args, scope));
    if (found && value instanceof StoredQuery) return value;
    if (found) {
      scope.log(`ERROR:Symbol ${expr.name} is not a function but it is being called.`);
      return null;
    }
    scope.log(`ERROR:Symbol ${expr.name} not found. ${scope.printVars()}`);
    return null;
  }
  checkCancelled(scope);
  let args: Row;
  try {
    args = await extractArgs(fn.args, await evalArgs(expr.args, scope));
  } catch (e) {
    if (e instanceof ArgError) {
      scope.log(`${fn.name}: ${e.message}`);
      return null;
    }
    throw e;
  }
  let state = scope.aggregates.get(expr.id);
  if (!state) {
    state = {};
    scope.aggregates.set(expr.id, state);
  }
  try {
    const result: unknown = await fn.call(args, scope, state);
    return result === undefined ? null : result;
  } catch (e) {
    if (isCancellation(e)) throw e;
    scope.log(`${fn.name}: ${messageOf(e)}`);
    return null;
  }
}

/** Iterates what a FROM clause names: a plugin call, a LET variable, or a stored query / function. */
async function* iterateSource(stmt: SelectStatement, scope: Scope): AsyncGenerator<PluginItem> {
  const from = stmt.from;
  if (!from) {
    yield {};
    return;
  }
  if (from.args === null) {
    const { found, value } = scope.lookup(from.name);
    if (found) {
      yield* iterateValue(await resolveValue(value));
      return;
    }
  }
  const plugin = scope.ctx.plugins.get(from.name);
  if (plugin) {
    let args: Row;
    try {
      args = await extractArgs(plugin.args, await evalArgs(from.args ?? [], scope));
    } catch (e) {
      if (e instanceof ArgError) {
        scope.log(`${plugin.name}: ${e.message}`);
        return;
      }
      throw e;
    }
    try {
      for await (const item of plugin.run(args, scope)) {
        checkCancelled(scope);
        yield item;
      }
    } catch (e) {
      if (isCancellation(e) || scope.ctx.signal.aborted) throw new Cancelled('cancelled');
      scope.log(`${plugin.name}: ${messageOf(e)}`);
    }
    return;
  }
  const { found, value } = scope.lookup(from.name);
  if (found) {
    const v = await resolveValue(value);
    if (v instanceof StoredFunction) {
      yield* iterateValue(await v.call(await evalArgs(from.args ?? [], scope)));
      return;
    }
    if (v instanceof StoredQuery) {
      yield* v.run(await evalArgs(from.args ?? [], scope));
      return;
    }
    yield* iterateValue(v);
    return;
  }
  scope.log(`ERROR:Plugin ${from.name} not found. ${scope.printVars()}`);
  let message = `Plugin ${from.name} not found. `;
  const options = similarPlugins(from.name, scope.ctx.plugins.keys());
  if (options.length) message += `Did you mean ${options.join(' ')}? `;
  if (scope.ctx.functions.has(from.name)) {
    message += `There is a VQL function called "${from.name}" - did you mean to call this function instead?`;
  }
  scope.log(`ERROR:${message}`);
}

async function* iterateValue(v: unknown): AsyncGenerator<PluginItem> {
  if (v instanceof StoredQuery) {
    yield* v.run();
    return;
  }
  if (Array.isArray(v)) {
    for (const item of v) yield isRow(item) ? item : { _value: item };
    return;
  }
  if (isRow(v)) {
    yield v;
    return;
  }
  if (v !== null && v !== undefined) yield { _value: v };
}

function isPassThrough(stmt: SelectStatement): boolean {
  return (
    stmt.columns.length === 1 &&
    stmt.columns[0]?.expr === null &&
    !stmt.where &&
    !stmt.groupBy.length &&
    !stmt.orderBy
  );
}

function columnName(c: SelectStatement['columns'][number]): string {
  return c.alias ?? c.text;
}

/** Builds the output row lazily: aliases are thunks so WHERE can use them before the rest is computed. */
function projection(
  stmt: SelectStatement,
  source: Row,
  scope: Scope,
): { scope: Scope; finish: () => Promise<Row> } {
  const thunks = new Map<string, CachedThunk>();
  const layer = new Map<string, unknown>();
  const rowScope = scope.child(source).child(layer);
  for (const c of stmt.columns) {
    if (c.expr === null) continue;
    const expr = c.expr;
    const t = new CachedThunk(async () => materialise(await evalExpr(expr, rowScope)));
    thunks.set(columnName(c), t);
    if (c.alias) layer.set(c.alias, t);
  }
  const finish = async (): Promise<Row> => {
    const out: Row = {};
    for (const c of stmt.columns) {
      if (c.expr === null) Object.assign(out, source);
      else out[columnName(c)] = await thunks.get(columnName(c))?.get();
    }
    return out;
  };
  return { scope: rowScope, finish };
}

function orderValue(row: Row, column: string): unknown {
  if (Object.prototype.hasOwnProperty.call(row, column)) return row[column];
  return column.split('.').reduce<unknown>((v, part) => member(v, part), row);
}

export async function* runSelect(stmt: SelectStatement, outer: Scope): AsyncGenerator<PluginItem> {
  const scope = outer.withAggregates(new Map());
  let emitted = 0;
  const limit = stmt.limit;
  if (limit !== null && limit <= 0) return;

  if (stmt.groupBy.length) {
    const groups = new Map<string, { aggregates: Map<number, { value?: unknown }>; row: Row }>();
    for await (const item of iterateSource(stmt, scope)) {
      checkCancelled(scope);
      for (const source of isBatch(item) ? item.rows() : [item]) {
        const probe = projection(stmt, source, scope.withAggregates(new Map()));
        if (stmt.where && !(await truthy(await evalExpr(stmt.where, probe.scope)))) continue;
        const keyParts: unknown[] = [];
        for (const g of stmt.groupBy) keyParts.push(await materialise(await evalExpr(g, probe.scope)));
        const key = JSON.stringify(keyParts);
        let group = groups.get(key);
        if (!group) {
          group = { aggregates: new Map(), row: {} };
          groups.set(key, group);
        }
        group.row = await projection(stmt, source, scope.withAggregates(group.aggregates)).finish();
      }
    }
    let rows = [...groups.values()].map((g) => g.row);
    if (stmt.orderBy) rows = sortRows(rows, stmt.orderBy);
    for (const row of limit === null ? rows : rows.slice(0, limit)) yield row;
    return;
  }

  if (stmt.orderBy) {
    const rows: Row[] = [];
    for await (const item of iterateSource(stmt, scope)) {
      checkCancelled(scope);
      for (const source of isBatch(item) ? item.rows() : [item]) {
        const p = projection(stmt, source, scope);
        if (stmt.where && !(await truthy(await evalExpr(stmt.where, p.scope)))) continue;
        rows.push(await p.finish());
      }
    }
    const sorted = sortRows(rows, stmt.orderBy);
    for (const row of limit === null ? sorted : sorted.slice(0, limit)) yield row;
    return;
  }

  const passThrough = isPassThrough(stmt);
  for await (const item of iterateSource(stmt, scope)) {
    checkCancelled(scope);
    if (isBatch(item)) {
      if (passThrough && (limit === null || emitted + item.rowCount <= limit)) {
        emitted += item.rowCount;
        yield item;
        if (limit !== null && emitted >= limit) return;
        continue;
      }
      for (const source of item.rows()) {
        const p = projection(stmt, source, scope);
        if (stmt.where && !(await truthy(await evalExpr(stmt.where, p.scope)))) continue;
        yield await p.finish();
        if (limit !== null && ++emitted >= limit) return;
      }
      continue;
    }
    const p = projection(stmt, item, scope);
    if (stmt.where && !(await truthy(await evalExpr(stmt.where, p.scope)))) continue;
    yield await p.finish();
    if (limit !== null && ++emitted >= limit) return;
  }
}

function sortRows(rows: Row[], orderBy: NonNullable<SelectStatement['orderBy']>): Row[] {
  const sorted = [...rows].sort((a, b) =>
    sortKey(orderValue(a, orderBy.column), orderValue(b, orderBy.column)),
  );
  return orderBy.desc ? sorted.reverse() : sorted;
}

/** Executes a LET statement in `scope` (which must be the query's shared top scope). */
export async function runLet(stmt: Extract<Statement, { kind: 'let' }>, scope: Scope): Promise<void> {
  const value = stmt.value;
  if (stmt.params) {
    const params = stmt.params;
    scope.set(
      stmt.name,
      new StoredFunction(params, async (args) => {
        const vars: Row = {};
        for (const p of params) vars[p] = args[p] ?? null;
        const inner = scope.child(vars);
        if (value.kind === 'select')
          return new StoredQuery(value, (extra) =>
            rowsOf(runSelect(value, extra ? inner.child(extra) : inner)),
          );
        return evalExpr(value, inner);
      }),
    );
    return;
  }
  if (value.kind === 'select') {
    if (stmt.materialise) {
      const rows: Row[] = [];
      for await (const item of runSelect(value, scope)) {
        if (isBatch(item)) rows.push(...item.rows());
        else rows.push(item);
      }
      scope.set(stmt.name, rows);
    } else {
      scope.set(
        stmt.name,
        new StoredQuery(value, (extra) => rowsOf(runSelect(value, extra ? scope.child(extra) : scope))),
      );
    }
    return;
  }
  if (stmt.materialise) scope.set(stmt.name, await materialise(await evalExpr(value, scope)));
  else scope.set(stmt.name, new LazyExpr(() => evalExpr(value, scope)));
}

/** Expands pre-serialised batches into rows (for consumers that need rows, e.g. stored queries). */
export async function* rowsOf(items: AsyncIterable<PluginItem>): AsyncGenerator<Row> {
  for await (const item of items) {
    if (isBatch(item)) yield* item.rows();
    else yield item;
  }
}
