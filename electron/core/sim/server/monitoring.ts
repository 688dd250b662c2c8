/**
 * Event queries (VR vql/server/monitoring): watch_monitoring() blocks and yields events until the
 * query is cancelled or times out. System.Flow.Completion and Server.Internal.FrontendMetrics (the
 * frontends' reports, minions.ts; an internal queue with no artifact definition, as on the real
 * server) produce events here.
 */
import { FRONTEND_METRICS } from '../minions';
import type { PluginItem } from '../vql/scope';
import { plugin, type PluginGroup, type ServerContext } from './context';

export function monitoringPlugins(ctx: ServerContext): PluginGroup {
  const { world } = ctx;
  return {
    plugins: [
      plugin({
        name: 'watch_monitoring',
        doc: "Watch a monitoring artifact's events (an event query: it never ends until cancelled or timed out).",
        args: { artifact: { type: 'string', required: true }, client_id: { type: 'string' } },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'watch_monitoring')) return;
          const metrics = String(a.artifact) === FRONTEND_METRICS;
          const def = metrics ? undefined : world.artifact(String(a.artifact));
          if (
            (!metrics && !def) ||
            (def && def.type !== 'INTERNAL' && def.type !== 'CLIENT_EVENT' && def.type !== 'SERVER_EVENT')
          ) {
            scope.log(`watch_monitoring: Artifact ${String(a.artifact)} is not an event artifact`);
            return;
          }
          let seen = world.lastCompletionSeq();
          const signal = scope.ctx.signal;
          while (!signal.aborted) {
            if (metrics) {
              for (const ev of world.frontendMetrics) {
                if (ev.seq > seen && ev.orgId === scope.ctx.orgId) yield ev.row;
              }
              seen = world.lastCompletionSeq();
            } else if (def?.name === 'System.Flow.Completion') {
              world.refresh(scope.ctx.orgId);
              for (const ev of world.completions) {
                if (ev.seq > seen && ev.orgId === scope.ctx.orgId) yield ev.row;
              }
              seen = world.lastCompletionSeq();
            }
            await new Promise<void>((resolve) => {
              const t = setTimeout(resolve, 200);
              signal.addEventListener(
                'abort',
                () => {
                  clearTimeout(t);
                  resolve();
                },
                { once: true },
              );
            });
          }
        },
      }),
    ],
    functions: [],
  };
}
