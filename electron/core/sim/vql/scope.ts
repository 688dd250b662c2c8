/**
 * A VQL scope: a stack of variable layers (innermost last) plus the per-query context (user, org,
 * clock, cancellation, log sink, registered plugins and functions).
 */
import type { Permission } from '../permissions';
import type { Row } from './values';

/** One item a plugin yields: a row, or a batch serialised once and reused (see bulk-rows.ts). */
export interface PreSerializedBatch {
  readonly kind: 'pre-serialized-batch';
  readonly json: string;
  readonly columns: string[];
  readonly rowCount: number;
  readonly rows: () => Row[];
}

export type PluginItem = Row | PreSerializedBatch;

export function isBatch(item: unknown): item is PreSerializedBatch {
  return (
    typeof item === 'object' && item !== null && (item as { kind?: unknown }).kind === 'pre-serialized-batch'
  );
}

export type ArgType = 'string' | 'int' | 'float' | 'bool' | 'strings' | 'any' | 'dict' | 'query';

export interface ArgSpec {
  [name: string]: { type: ArgType; required?: boolean; doc?: string };
}

export interface PluginDef {
  name: string;
  doc: string;
  args: ArgSpec;
  run(args: Row, scope: Scope): AsyncIterable<PluginItem>;
}

export interface FunctionDef {
  name: string;
  doc: string;
  args: ArgSpec;
  /** Aggregates keep state per call site (and per GROUP BY bin). */
  aggregate?: boolean;
  call(args: Row, scope: Scope, state: { value?: unknown }): unknown;
}

export interface QueryContext {
  readonly user: string;
  readonly orgId: string;
  readonly signal: AbortSignal;
  now(): number;
  log(line: string): void;
  hasPermission(permission: Permission): boolean;
  readonly plugins: ReadonlyMap<string, PluginDef>;
  readonly functions: ReadonlyMap<string, FunctionDef>;
}

/** A column value computed on first use (SELECT aliases visible to WHERE without computing the rest). */
export class CachedThunk {
  private promise: Promise<unknown> | undefined;
  constructor(private readonly compute: () => Promise<unknown>) {}
  get(): Promise<unknown> {
    this.promise ??= this.compute();
    return this.promise;
  }
}

export class Scope {
  constructor(
    readonly ctx: QueryContext,
    private readonly layers: Array<Map<string, unknown>>,
    /** Aggregate state per call-site id: one map per SELECT (or per GROUP BY bin). */
    readonly aggregates: Map<number, { value?: unknown }> = new Map(),
  ) {}

  child(vars: Row | Map<string, unknown>, aggregates?: Map<number, { value?: unknown }>): Scope {
    const layer = vars instanceof Map ? vars : new Map(Object.entries(vars));
    return new Scope(this.ctx, [...this.layers, layer], aggregates ?? this.aggregates);
  }

  withAggregates(aggregates: Map<number, { value?: unknown }>): Scope {
    return new Scope(this.ctx, this.layers, aggregates);
  }

  /** Sets a variable in the innermost layer (LET). */
  set(name: string, value: unknown): void {
    this.layers[this.layers.length - 1]?.set(name, value);
  }

  lookup(name: string): { found: boolean; value: unknown } {
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const layer = this.layers[i];
      if (layer?.has(name)) return { found: true, value: layer.get(name) };
    }
    return { found: false, value: null };
  }

  /** vfilter's PrintVars: "Current Scope is [a, b], [c]". */
  printVars(): string {
    return `Current Scope is ${this.layers.map((l) => `[${[...l.keys()].join(', ')}]`).join(', ')}`;
  }

  log(line: string): void {
    this.ctx.log(line);
  }

  /** Per-plugin ACL check (docs/velociraptor/vql.md): logs "<name>: Permission denied: [PERM]" when missing. */
  require(permission: Permission, name: string): boolean {
    if (this.ctx.hasPermission(permission)) return true;
    this.log(`${name}: Permission denied: [${permission}]`);
    return false;
  }
}
