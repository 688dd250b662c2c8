/**
 * The OS an artifact is written for, read from its name as Velociraptor's catalogue names them
 * (Windows.*, Linux.*, MacOS.*); Generic.*, Server.* and the rest run anywhere. A hunt scoped to
 * any OS with such an artifact schedules it on machines where it errors or finds nothing.
 */
import type { SearchOs } from './client-search';

const PREFIXES: Array<[string, SearchOs]> = [
  ['windows.', 'windows'],
  ['linux.', 'linux'],
  ['macos.', 'darwin'],
];

export function artifactOs(name: string): SearchOs | null {
  const n = name.toLowerCase();
  return PREFIXES.find(([p]) => n.startsWith(p))?.[1] ?? null;
}

export interface OsMismatch {
  /** The OS-specific artifacts of the hunt, each with its OS. */
  specific: Array<{ name: string; os: SearchOs }>;
  /** The one OS they all need, when they agree (the scope to offer). */
  only: SearchOs | null;
}

/** What to warn about when a hunt with these artifacts is scoped to `scopeOs` ('' = any OS). */
export function osMismatch(artifacts: readonly string[], scopeOs: string): OsMismatch | null {
  const specific = artifacts.flatMap((name) => {
    const os = artifactOs(name);
    return os && os !== scopeOs ? [{ name, os }] : [];
  });
  if (specific.length === 0) return null;
  const oses = new Set(artifacts.map(artifactOs).filter((o) => o !== null));
  return { specific, only: oses.size === 1 ? [...oses][0]! : null };
}
