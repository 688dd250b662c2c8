/**
 * The deployment code never blocks the event loop on I/O (the old tool read and wrote files
 * synchronously inside async deployment code): no *Sync call in its modules (tests aside).
 */
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'testing') out.push(...(await sources(p)));
    } else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

describe('deployment code', () => {
  it('uses asynchronous I/O only', async () => {
    const found: string[] = [];
    for (const file of await sources(__dirname)) {
      const text = await readFile(file, 'utf8');
      for (const m of text.matchAll(/\b\w+Sync\s*\(/g)) found.push(`${relative(__dirname, file)}: ${m[0]}`);
    }
    expect(found).toEqual([]);
  });
});
