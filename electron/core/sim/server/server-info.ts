/** The server itself (VR vql/info, vql/tools): info() and help(). */
import type { PluginItem } from '../vql/scope';
import { plugin, type PluginGroup, type ServerContext } from './context';
import { helpRow, infoRow } from './rows';

export function serverInfoPlugins(ctx: ServerContext): PluginGroup {
  return {
    plugins: [
      plugin({
        name: 'info',
        doc: 'Get information about the running host (here: the simulator).',
        args: {},
        async *run(_a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('MACHINE_STATE', 'info')) return;
          yield infoRow(ctx.env.startMs, scope.ctx.now());
        },
      }),
      plugin({
        name: 'help',
        doc: 'Keyword completions and documentation: every VQL plugin and function this server offers.',
        args: {},
        async *run(_a, scope): AsyncGenerator<PluginItem> {
          for (const p of [...scope.ctx.plugins.values()].sort((x, y) => x.name.localeCompare(y.name)))
            yield helpRow(p, 'Plugin');
          for (const f of [...scope.ctx.functions.values()].sort((x, y) => x.name.localeCompare(y.name)))
            yield helpRow(f, 'Function');
        },
      }),
    ],
    functions: [],
  };
}
