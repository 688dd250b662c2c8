/**
 * File searches on one client: by glob (with optional YARA), through the OS's FileFinder artifact,
 * or by hash, through Generic.Detection.HashHunter. The parameter form is chosen from what the
 * server declares (operations/catalog): Windows.Search.FileFinder's single glob is
 * SearchFilesGlob up to 0.73 and in 0.76.0–0.76.1, Glob from 0.76.4, and 0.74–0.75 have only the
 * table form SearchFilesGlobTable (CSV with a Glob column). Linux and macOS keep SearchFilesGlob.
 */
import { toCsv } from '../../../../shared/csv';
import type { ClientOs } from './clients';
import { pickParameter, requireArtifact, type Declarations } from './catalog';
import type { CollectInput } from './flows';

type KnownOs = Exclude<ClientOs, 'unknown'>;

export const FILE_FINDER: Record<KnownOs, string> = {
  windows: 'Windows.Search.FileFinder',
  linux: 'Linux.Search.FileFinder',
  darwin: 'MacOS.Search.FileFinder',
};

/** The single-glob forms, preferred over the table form (what a person would type in the GUI). */
const GLOB_VALUE = ['Glob', 'SearchFilesGlob'];
const GLOB_TABLE = 'SearchFilesGlobTable';

/** Hash sweeps: TargetGlob + MD5List/SHA1List/SHA256List (one hash a line). */
export const HASH_HUNTER = 'Generic.Detection.HashHunter';

export interface FileSearchInput {
  clientId: string;
  os: KnownOs;
  glob: string;
  yaraRule?: string | undefined;
  /** MD5, SHA1 or SHA256 in hex; when given, the search is a hash sweep over the glob. */
  hashes?: string[] | undefined;
}

/** The artifact a search needs declared on the server (the caller reads its declaration). */
export function fileSearchArtifact(input: Pick<FileSearchInput, 'os' | 'hashes'>): string {
  return input.hashes?.length ? HASH_HUNTER : FILE_FINDER[input.os];
}

/** The collection that searches as asked, in the parameter forms `d` (the server) declares. */
export function planFileSearch(d: Declarations, input: FileSearchInput): CollectInput {
  const artifact = fileSearchArtifact(input);
  const base = { clientId: input.clientId, artifacts: [artifact], urgent: true, timeoutSeconds: 1800 };
  const declared = requireArtifact(d, artifact).parameters.map((p) => p.name);
  if (input.hashes?.length) {
    const params: Record<string, string> = {
      [pickParameter(d, artifact, ['TargetGlob'], 'a glob')]: input.glob,
    };
    for (const [name, len] of Object.entries({ MD5List: 32, SHA1List: 40, SHA256List: 64 })) {
      // hash() gives lower-case hex and the artifact compares with `in`, which is case-sensitive.
      const of = input.hashes.filter((h) => h.length === len).map((h) => h.toLowerCase());
      // An empty list is sent when declared, so a default the server carries is never searched.
      if (of.length) params[pickParameter(d, artifact, [name], `${len * 4}-bit hashes`)] = of.join('\n');
      else if (declared.includes(name)) params[name] = '';
    }
    return { ...base, parameters: { [artifact]: params } };
  }
  const value = GLOB_VALUE.find((n) => declared.includes(n));
  const glob = value ?? pickParameter(d, artifact, [...GLOB_VALUE, GLOB_TABLE], 'a glob');
  const params: Record<string, string> = {
    [glob]: value ? input.glob : toCsv([{ Glob: input.glob }]),
  };
  // Hashes of what is found are a convenience: asked for only where the artifact can compute them.
  if (declared.includes('Calculate_Hash')) params.Calculate_Hash = 'Y';
  if (input.yaraRule) params[pickParameter(d, artifact, ['YaraRule'], 'a YARA rule')] = input.yaraRule;
  return { ...base, parameters: { [artifact]: params } };
}
