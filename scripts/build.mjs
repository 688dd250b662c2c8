#!/usr/bin/env node
// `npm run build`: proto generation, electron-vite (main, preload, renderer), then the CLI bundle.
// Flags: --skip-vite (CLI only, for `npm start` helpers), --skip-proto.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCli } from './build-cli.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));

function step(name, cmd, argv) {
  const t0 = Date.now();
  const r = spawnSync(cmd, argv, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' },
  });
  if (r.status !== 0) {
    console.error(`build: ${name} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
  console.log(`build: ${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}

if (!args.has('--skip-proto')) step('gen-proto', process.execPath, [join(root, 'scripts', 'gen-proto.mjs')]);
if (!args.has('--skip-vite'))
  step('electron-vite', process.execPath, [
    join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'),
    'build',
  ]);
const t0 = Date.now();
await buildCli();
console.log(`build: cli done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
