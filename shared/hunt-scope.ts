/**
 * Which clients a hunt reaches: the one rule the app's estimate, the MCP preview and the simulator's
 * scheduler share, so the app, an assistant and the test server answer alike for one scope.
 *
 * As Velociraptor's hunt manager decides (services/hunt_manager: huntMatchesOS, huntHasLabel,
 * huntHasExcludeLabel; services/labels IsLabelSet): labels compare without case, an excluded label
 * removes the client, and with an OS condition the include labels are ignored.
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
  return wanted.some((l) => own.has(l.toLowerCase()));
}

/** The condition hunt() stores for a requested scope: with an OS, only the OS (the labels are dropped). */
export function appliedHuntScope(scope: HuntScopeRule): Required<HuntScopeRule> {
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

export function matchesHuntScope(scope: HuntScopeRule, client: ScopedClient): boolean {
  if (hasAnyLabel(client, scope.excludeLabels ?? [])) return false;
  if (scope.os) return client.os.toLowerCase() === scope.os;
  const include = scope.includeLabels ?? [];
  return include.length === 0 || hasAnyLabel(client, include);
}
