/**
 * The import graph between the parts of the tree, from the sources themselves: which part's product
 * code imports which other part. docs/architecture.md draws it; test/architecture.test.ts keeps the
 * drawing equal to it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';

/** A part: `core/<domain>`, `core/services` (the composition root), or a top-level layer. */
export function partOf(path: string, root: string): string | undefined {
  const rel = relative(root, path).split('\\').join('/');
  const [top, second, third] = rel.split('/');
  if (top === 'electron' && second === 'core') {
    if (third === undefined) return undefined;
    const dir = join(root, 'electron', 'core', third);
    const isDir = (() => {
      try {
        return statSync(dir).isDirectory();
      } catch {
        return false;
      }
    })();
    if (isDir) return `core/${third}`;
    return `core/${third.replace(/\.ts$/, '')}`;
  }
  if (top === 'electron' && second) return `electron/${second}`;
  if (top === 'renderer' || top === 'shared' || top === 'proto') return top;
  return undefined;
}

/** Product code: TypeScript under electron/, renderer/, shared/ and proto/, without tests and test helpers. */
export function productFiles(root: string): string[] {
  return execFileSync('git', ['ls-files', 'electron', 'renderer', 'shared', 'proto'], {
    cwd: root,
    encoding: 'utf8',
  })
    .split('\n')
    .filter((f) => /\.tsx?$/.test(f) && !/\.test\.tsx?$/.test(f) && !/(^|\/)(testing|fixtures)\//.test(f))
    .filter((f) => {
      try {
        return statSync(join(root, f)).isFile();
      } catch {
        return false;
      }
    });
}

const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s+'(\.[^']+)'/g;

/** Edges `from -> to` between different parts, each with one file that makes it (for messages). */
export function importGraph(root: string): Map<string, string> {
  const edges = new Map<string, string>();
  for (const file of productFiles(root)) {
    const from = partOf(join(root, file), root);
    if (!from) continue;
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const to = partOf(normalize(join(root, dirname(file), m[1]!)), root);
      if (!to || to === from) continue;
      const key = `${from} -> ${to}`;
      if (!edges.has(key)) edges.set(key, file);
    }
  }
  return edges;
}
