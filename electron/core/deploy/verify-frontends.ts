/**
 * Checks, through the master's API, that every minion of a multi-frontend deployment runs and reports
 * to the master: each frontend pushes its metrics to the master about every 10 s
 * (services/frontend PushMetrics), and the master's API streams them from the internal artifact
 * `Server.Internal.FrontendMetrics`, one row per report, `Node` = the minion's node name (checked
 * against Velociraptor 0.77.2; the investigator role may watch it).
 */
import { AppError, isAppError } from '../../../shared/errors';
import { ConnectionRegistry, vqlBuilder } from '../velociraptor/index';

export const FRONTEND_METRICS = 'Server.Internal.FrontendMetrics';

/** Resolves with the node names seen once every one of `nodes` reported; fails after `timeoutMs`. */
export async function verifyFrontends(
  apiConfigYaml: string,
  nodes: readonly string[],
  options: { timeoutMs?: number; signal?: AbortSignal; onNode?: (node: string) => void } = {},
): Promise<string[]> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const registry = new ConnectionRegistry();
  registry.add('frontends-check', apiConfigYaml);
  const seen = new Set<string>();
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(), timeoutMs);
  const onAbort = (): void => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const { build, vql, str } = vqlBuilder;
    const q = build(vql`SELECT Node FROM watch_monitoring(artifact=${str(FRONTEND_METRICS)})`);
    try {
      for await (const ev of registry
        .connection('frontends-check')
        .query(q, { maxWait: 1, signal: stop.signal })) {
        if (ev.type === 'log' && ev.problem)
          throw new AppError(
            'DEPLOY_VERIFY_FAILED',
            `The master refused to show its frontends: ${ev.message}`,
          );
        if (ev.type !== 'rows') continue;
        for (const row of ev.rows) {
          const node = (row as { Node?: unknown }).Node;
          if (typeof node !== 'string' || seen.has(node)) continue;
          seen.add(node);
          options.onNode?.(node);
        }
        if (nodes.every((n) => seen.has(n))) return [...seen];
      }
    } catch (e) {
      if (!stop.signal.aborted || (isAppError(e) && e.code === 'DEPLOY_VERIFY_FAILED')) throw e;
    }
    if (options.signal?.aborted) throw new AppError('CANCELLED', 'The verification was cancelled.');
    const missing = nodes.filter((n) => !seen.has(n));
    throw new AppError(
      'DEPLOY_VERIFY_FAILED',
      `Minion(s) ${missing.join(', ')} did not report to the master within ${Math.round(timeoutMs / 1000)} s (seen: ${[...seen].join(', ') || 'none'}). A minion that cannot reach the master's API or the shared file store stays silent.`,
      { details: { missing, seen: [...seen] } },
    );
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onAbort);
    registry.remove('frontends-check');
  }
}
