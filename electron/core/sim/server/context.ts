/**
 * What every server plugin group shares: the simulated world and users, the caller's org (brought
 * up to date before it is read), flows and hunts by id, and the clients each user touched lately
 * (the `recent` search). A group module (clients, flows, hunts…) takes a ServerContext and returns
 * its plugins and functions, as Velociraptor's vql/server packages each register their own.
 */
import type { UserStore } from '../users';
import type { FunctionDef, PluginDef, Scope } from '../vql/scope';
import { toText, type Row } from '../vql/values';
import type { FlowRecord, HuntRecord, World } from '../world';

export interface ServerEnv {
  world: World;
  users: UserStore;
  startMs: number;
  /** An org's client config (YAML: server URLs, CA certificate, nonce), as orgs() shows it. */
  clientConfig: (orgId: string) => string;
}

export interface PluginGroup {
  plugins: PluginDef[];
  functions: FunctionDef[];
}

export class ServerContext {
  private readonly recentByUser = new Map<string, Set<string>>();

  constructor(readonly env: ServerEnv) {}

  get world(): World {
    return this.env.world;
  }

  get users(): UserStore {
    return this.env.users;
  }

  /** The caller's org, with its flows and hunts advanced to the current time. */
  org(scope: Scope): string {
    this.world.refresh(scope.ctx.orgId);
    return scope.ctx.orgId;
  }

  flowOf(scope: Scope, clientId: unknown, flowId: unknown): FlowRecord | undefined {
    return this.world.getFlow(this.org(scope), toText(clientId), toText(flowId));
  }

  huntOf(scope: Scope, huntId: unknown): HuntRecord | undefined {
    return this.world.org(this.org(scope)).hunts.get(toText(huntId));
  }

  touch(user: string, clientId: string): void {
    const set = this.recentByUser.get(user) ?? new Set<string>();
    set.add(clientId);
    this.recentByUser.set(user, set);
  }

  recent(user: string): Set<string> {
    return this.recentByUser.get(user) ?? new Set();
  }
}

/** Rows of one artifact source of a flow (`source` '' for an artifact without named sources). */
export function resultsOf(flow: FlowRecord, artifact: string, source: string): Row[] {
  return flow.results.get(source ? `${artifact}/${source}` : artifact) ?? [];
}

/** `Artifact/Source` (or a bare name) split into its parts. */
export function splitSource(name: string): [artifact: string, source: string | undefined] {
  const [artifact, source] = name.split('/');
  return [artifact ?? '', source];
}

export function plugin(def: PluginDef): PluginDef {
  return def;
}

export function fn(def: FunctionDef): FunctionDef {
  return def;
}

/** A plugin's `start`/`count` (or `start_row`/`limit`) window over rows it already has. */
export function window<T>(rows: T[], start: unknown, count: unknown): T[] {
  const from = typeof start === 'number' ? start : 0;
  return rows.slice(from, from + (typeof count === 'number' ? count : 1e9));
}
