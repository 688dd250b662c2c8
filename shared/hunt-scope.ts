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

export function matchesHuntScope(scope: HuntScopeRule, client: ScopedClient): boolean {
  if (hasAnyLabel(client, scope.excludeLabels ?? [])) return false;
  if (scope.os) return client.os.toLowerCase() === scope.os;
  const include = scope.includeLabels ?? [];
  return include.length === 0 || hasAnyLabel(client, include);
}
