/**
 * package.json `dependencies` are what the packaged app needs at run time, and only that: the
 * packages reached from the main process's and the CLI's entry points. electron-vite keeps exactly
 * these outside the main bundle (externalizeDeps) and electron-builder ships exactly these in the
 * app's node_modules; everything else (the renderer's libraries, build, test and recording tools)
 * is bundled or used at build time only, so it belongs in devDependencies.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

/** `import … from 'x'`, `export … from 'x'`, `import 'x'` (statements), `import('x')`, `require('x')`. */
const SPECIFIER =
  /(?:^\s*(?:import|export)\s[^;]*?\bfrom\s+|^\s*import\s+|(?<![.\w])import\(\s*|(?<![.\w])require\(\s*)'([^'.][^']*)'/gm;

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (spec: string): string =>
  spec
    .split('/')
    .slice(0, spec.startsWith('@') ? 2 : 1)
    .join('/');

const RELATIVE =
  /(?:^\s*(?:import|export)\s[^;]*?\bfrom\s+|^\s*import\s+|(?<![.\w])import\(\s*)'(\.[^']*)'/gm;

/** The file a relative import names (bundler resolution: no extension, or a folder's index). */
function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const c of [base, `${base}.ts`, `${base}.tsx`, join(base, 'index.ts')])
    if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

/** Packages imported by the files reached from the app's entry points, each with one importer. */
function runtimeImports(): Map<string, string> {
  const entries = ['electron/main/index.ts', 'electron/preload/index.ts', 'electron/cli/megaraptor.ts'];
  const seen = new Set<string>();
  const queue = entries.map((e) => join(root, e));
  const found = new Map<string, string>();
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(RELATIVE)) {
      const next = resolveImport(file, m[1]!);
      if (next && /\.tsx?$/.test(next)) queue.push(next);
    }
    for (const m of text.matchAll(SPECIFIER)) {
      const name = packageOf(m[1]!);
      if (name.startsWith('node:') || builtinModules.includes(name) || name === 'electron') continue;
      if (!found.has(name)) found.set(name, relative(root, file));
    }
  }
  return found;
}

describe('package.json dependencies', () => {
  const imported = runtimeImports();

  it('lists every package the main process, the core and the CLI import', () => {
    const missing = [...imported].filter(([name]) => !(name in pkg.dependencies));
    expect(missing.map(([name, file]) => `${name} (imported by ${file})`)).toEqual([]);
  });

  it('lists nothing else: a package only tests, tools or the renderer use is a devDependency', () => {
    expect(Object.keys(pkg.dependencies).filter((name) => !imported.has(name))).toEqual([]);
  });

  it('keeps Electron itself a devDependency (electron-builder requires it there)', () => {
    expect(pkg.devDependencies).toHaveProperty('electron');
    expect(pkg.dependencies).not.toHaveProperty('electron');
  });
});
