/** Artifacts (VR vql/server/repository): artifact_definitions(). */
import { catalogue } from '../dataset/artifacts';
import type { PluginItem } from '../vql/scope';
import { plugin, type PluginGroup, type ServerContext } from './context';
import { definitionRow } from './rows';

export function artifactPlugins(ctx: ServerContext): PluginGroup {
  const { world } = ctx;
  return {
    plugins: [
      plugin({
        name: 'artifact_definitions',
        doc: 'Dump artifact definitions.',
        args: { names: { type: 'strings' }, deps: { type: 'bool' }, sanitize: { type: 'bool' } },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'artifact_definitions')) return;
          const all = catalogue(world.profile.line);
          const names = (a.names as string[] | undefined) ?? [];
          // A name this release does not know is left out, and said so.
          for (const n of names)
            if (!world.artifact(n)) scope.log(`artifact_definitions: artifact ${n} not known`);
          const wanted = new Set<string>(names.length ? names : all.map((x) => x.name));
          if (a.deps)
            for (const n of [...wanted]) for (const d of world.artifact(n)?.deps ?? []) wanted.add(d);
          for (const def of all) if (wanted.has(def.name)) yield definitionRow(def, a.sanitize === true);
        },
      }),
    ],
    functions: [],
  };
}
