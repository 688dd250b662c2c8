#!/usr/bin/env node
// PKI benchmark (issue 5): bundles bench/pki/chain.ts with esbuild and runs it with plain node.
// Usage: node bench/pki/run.mjs [--runs N] [--forge-4096-keys N]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../lib.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'mr-bench-pki-'));
try {
  await bundleForNode({ chain: join(here, 'chain.ts') }, out);
  const r = spawnSync(process.execPath, [join(out, 'chain.mjs'), ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
