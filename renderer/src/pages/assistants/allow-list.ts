import type { McpStatus } from '../../../../shared/contracts/mcp';

/**
 * The tools the allow-list may offer: the gated ones except those that always ask (an allow-list
 * would not let them through, so offering them misleads). Names the saved policy already holds stay
 * listed, so the responder can take them out.
 */
export function allowListChoices(
  status: Pick<McpStatus, 'gatedTools' | 'alwaysAskTools'>,
  allowTools: readonly string[],
): string[] {
  const alwaysAsk = new Set(status.alwaysAskTools);
  return [...new Set([...status.gatedTools.filter((t) => !alwaysAsk.has(t)), ...allowTools])];
}
