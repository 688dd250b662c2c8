/** Artifacts (VR vql/server/repository): artifact_definitions(). */
import { ARTIFACTS, findArtifact } from '../dataset/artifacts';
import type { PluginItem } from '../vql/scope';
import { plugin, type PluginGroup, type ServerContext } from './context';
import { definitionRow } from './rows';

export function artifactPlugins(_ctx: ServerContext): PluginGroup {
  return {
    plugins: [
      plugin({
        name: 'artifact_definitions',
        doc: 'Dump artifact definitions.',
        args: { names: { type: 'strings' }, deps: { type: 'bool' }, sanitize: { type: 'bool' } },
        async *run(a, scope): AsyncGenerator<PluginItem> {
          if (!scope.require('READ_RESULTS', 'artifact_definitions')) return;
          const names = (a.names as string[] | undefined) ?? [];
          const wanted = new Set<string>(names.length ? names : ARTIFACTS.map((x) => x.name));
          if (a.deps) for (const n of [...wanted]) for (const d of findArtifact(n)?.deps ?? []) wanted.add(d);
          for (const def of ARTIFACTS)
            if (wanted.has(def.name)) yield definitionRow(def, a.sanitize === true);
        },
      }),
    ],
    functions: [],
  };
}
