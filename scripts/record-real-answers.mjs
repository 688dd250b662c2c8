#!/usr/bin/env node
// Records a Velociraptor server's answers to the product's own queries as JSON fixtures
// (electron/core/velociraptor/recorded/cli.ts, bundled here with esbuild; no TS loader needed):
//   node scripts/record-real-answers.mjs --api-config FILE --client C.… [--out DIR] [--version V]
// Works against any server reachable with the API config (administrator role); it only talks to
// the server's API, it never builds or starts Velociraptor.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleForNode } from '../bench/lib.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, 'node_modules', '.cache');
mkdirSync(cacheDir, { recursive: true });
const out = mkdtempSync(join(cacheDir, 'mr-record-'));
try {
  await bundleForNode({ record: join(root, 'electron', 'core', 'velociraptor', 'recorded', 'cli.ts') }, out, {
    external: ['@napi-rs/keyring', 'prettier'],
  });
  const r = spawnSync(process.execPath, [join(out, 'record.mjs'), ...process.argv.slice(2)], {
    cwd: root,
    stdio: 'inherit',
  });
  process.exitCode = r.status ?? 1;
} finally {
  rmSync(out, { recursive: true, force: true });
}
