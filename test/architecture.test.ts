/**
 * docs/architecture.md draws the imports between parts of the tree; this keeps the drawing equal to
 * the real import graph (test/import-graph.ts), and the doc's citations of docs/velociraptor/ pointing
 * at headings that exist.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { importGraph } from './import-graph';
import { REPO_ROOT } from './real-parts';

/** The Mermaid node id of a part (`core/mcp` → `mcp`, `electron/cli` → `cli`). */
const nodeId = (part: string): string => part.replace(/^(core|electron)\//, '');

function drawnEdges(): Set<string> {
  const doc = readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');
  const blocks = [...doc.matchAll(/```mermaid\n([\s\S]*?)```/g)];
  expect(blocks, 'docs/architecture.md has exactly one Mermaid diagram').toHaveLength(1);
  const edges = new Set<string>();
  for (const line of blocks[0]![1]!.split('\n')) {
    const m = /^\s*([\w-]+)\s*-->\s*([\w-]+)\s*$/.exec(line);
    if (m) edges.add(`${m[1]} --> ${m[2]}`);
  }
  return edges;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchors(markdown: string): Set<string> {
  const out = new Set<string>();
  for (const m of markdown.matchAll(/^#{1,6}\s+(.+)$/gm))
    out.add(
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    );
  return out;
}

describe('docs/architecture.md', () => {
  it('draws exactly the imports between parts (arrows into shared/ left out)', () => {
    const graph = importGraph(REPO_ROOT);
    const real = new Map<string, string>();
    for (const [edge, file] of graph) {
      const [from, to] = edge.split(' -> ') as [string, string];
      if (to === 'shared') continue;
      real.set(`${nodeId(from)} --> ${nodeId(to)}`, file);
    }
    const drawn = drawnEdges();
    const missing = [...real].filter(([e]) => !drawn.has(e)).map(([e, file]) => `  ${e}    (${file})`);
    const gone = [...drawn].filter((e) => !real.has(e)).map((e) => `  ${e}`);
    expect(
      { missing, gone },
      'Update the diagram in docs/architecture.md: add the "missing" arrows (an import now makes them), remove the "gone" ones',
    ).toEqual({ missing: [], gone: [] });
  });

  it('names every domain folder of electron/core', () => {
    const doc = readFileSync(join(REPO_ROOT, 'docs', 'architecture.md'), 'utf8');
    const domains = readdirSync(join(REPO_ROOT, 'electron', 'core'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    for (const d of domains)
      expect(doc, `a row for electron/core/${d}/`).toContain(`\`electron/core/${d}/\``);
  });
});

describe('citations of docs/velociraptor/', () => {
  const dir = join(REPO_ROOT, 'docs', 'velociraptor');
  const pages = new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.md'))
      .map((f) => [f, anchors(readFileSync(join(dir, f), 'utf8'))] as const),
  );
  const tracked = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => /\.(ts|tsx|mjs|md)$/.test(f) && f !== 'test/architecture.test.ts');

  it('the code cites the facts in the repository, not a document outside it', () => {
    const outside = tracked.filter((f) =>
      readFileSync(join(REPO_ROOT, f), 'utf8').includes('velociraptor-api.md'),
    );
    expect(outside, 'cite docs/velociraptor/<page>.md#<heading> instead').toEqual([]);
  });

  it('every cited page and heading exists', () => {
    const broken: string[] = [];
    for (const f of tracked) {
      const text = readFileSync(join(REPO_ROOT, f), 'utf8');
      const inPages = f.startsWith('docs/velociraptor/');
      if (!inPages && !text.includes('docs/velociraptor/')) continue;
      // Full citations anywhere, and bare `page.md#heading` ones next to them or inside the pages.
      for (const m of text.matchAll(/(?:docs\/velociraptor\/)?([a-z-]+\.md)(?:#([\w-]+))?/g)) {
        const [cite, page, anchor] = m;
        if (!pages.has(page!)) {
          if (cite.startsWith('docs/velociraptor/') || anchor) broken.push(`${f}: ${cite} (no such page)`);
          continue;
        }
        if (anchor && !pages.get(page!)!.has(anchor)) broken.push(`${f}: ${cite} (no such heading)`);
      }
    }
    expect(broken).toEqual([]);
  });
});
