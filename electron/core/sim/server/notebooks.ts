/** Notebooks (VR vql/server/notebooks): the simulator keeps none, so notebooks() lists none. */
import type { PluginItem } from '../vql/scope';
import { plugin, type PluginGroup, type ServerContext } from './context';

export function notebookPlugins(_ctx: ServerContext): PluginGroup {
  return {
    plugins: [
      plugin({
        name: 'notebooks',
        doc: 'Retrieve the notebooks of the server (the simulator keeps none).',
        args: { notebook_id: { type: 'string' }, include_uploads: { type: 'bool' } },
        // eslint-disable-next-line require-yield -- an empty plugin still needs the generator shape
        async *run(_a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'notebooks')) return;
        },
      }),
    ],
    functions: [],
  };
}
