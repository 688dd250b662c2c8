/**
 * Which clients a hunt reaches: the one rule the app's estimate, the MCP preview and the simulator's
 * scheduler share, so the app, an assistant and the test server answer alike for one scope.
 *
 * As Velociraptor decides: hunt() stores only the OS when one is set, dropping the include AND the
 * exclude labels (vql/server/hunts/create.go); the hunt manager then compares labels without case,
 * lets an excluded label remove a client, and treats the label "all" as set on every client
 * (services/hunt_manager huntMatchesOS, huntHasLabel, huntHasExcludeLabel; services/labels IsLabelSet).
 */

export type HuntOs = 'windows' | 'linux' | 'darwin';

export interface HuntScopeRule {
  os?: HuntOs | '' | undefined;
  includeLabels?: readonly string[] | undefined;
  excludeLabels?: readonly string[] | undefined;
}

/** What the rule needs to know of a client: its OS as clients() reports it and its labels. */
export interface ScopedClient {
  os: string;
  labels: readonly string[];
}

function hasAnyLabel(client: ScopedClient, wanted: readonly string[]): boolean {
  const own = new Set(client.labels.map((l) => l.toLowerCase()));
  return wanted.some((l) => l.toLowerCase() === 'all' || own.has(l.toLowerCase()));
}

/** The condition hunt() stores for a requested scope: with an OS, only the OS (the labels are dropped). */
export function appliedHuntScope(scope: HuntScopeRule): {
  os: HuntOs | '';
  includeLabels: string[];
  excludeLabels: string[];
} {
  return scope.os
    ? { os: scope.os, includeLabels: [], excludeLabels: [] }
    : {
        os: '',
        includeLabels: [...(scope.includeLabels ?? [])],
        excludeLabels: [...(scope.excludeLabels ?? [])],
      };
}

/** A scope in words: "every windows client", "clients labelled A or B, except those labelled C". */
export function describeHuntScope(scope: HuntScopeRule): string {
  const include = scope.includeLabels ?? [];
  const exclude = scope.excludeLabels ?? [];
  const base = scope.os
    ? `every ${scope.os} client`
    : include.length
      ? `clients labelled ${include.join(' or ')}`
      : 'every client';
  return exclude.length ? `${base}, except those labelled ${exclude.join(' or ')}` : base;
}

/** The labels hunt() will not keep for a requested scope: with an OS it stores only the OS condition. */
export function droppedHuntLabels(scope: HuntScopeRule): { include: string[]; exclude: string[] } {
  if (!scope.os) return { include: [], exclude: [] };
  return { include: [...(scope.includeLabels ?? [])], exclude: [...(scope.excludeLabels ?? [])] };
}

/** A sentence for people (approvals, forms) when hunt() will drop labels of this scope; undefined when it keeps them. */
export function droppedLabelsWarning(scope: HuntScopeRule): string | undefined {
  const d = droppedHuntLabels(scope);
  if (d.include.length + d.exclude.length === 0) return undefined;
  const parts = [
    ...(d.include.length ? [`include labels ${d.include.join(', ')}`] : []),
    ...(d.exclude.length ? [`exclude labels ${d.exclude.join(', ')}`] : []),
  ];
  return `Velociraptor replaces the hunt's whole condition when an OS is set: it drops the ${parts.join(' and the ')}, so the hunt reaches every ${scope.os ?? ''} client${d.exclude.length ? ', including the ones those labels were meant to exclude' : ''}.`;
}

/** Whether a hunt asked with `scope` reaches `client`: the scope the server applies (appliedHuntScope). */
export function matchesHuntScope(scope: HuntScopeRule, client: ScopedClient): boolean {
  const applied = appliedHuntScope(scope);
  if (applied.os) return client.os.toLowerCase() === applied.os;
  if (hasAnyLabel(client, applied.excludeLabels)) return false;
  return applied.includeLabels.length === 0 || hasAnyLabel(client, applied.includeLabels);
}
