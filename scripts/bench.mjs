#!/usr/bin/env node
// `npm run bench [-- <name>...] [-- <args for a single benchmark>]`: runs the benchmarks in bench/, one
// after another, each one's output printed as it comes. Without names, all of them (slow: tens of
// minutes). Results are written up by hand in bench/README.md.
//   stream  bench/stream/run.mjs  query stream throughput vs the Python peer (bundles its own entries)
//   pki     bench/pki/run.mjs     key generation off the event loop (bundles chain.ts)
//   mcp     bench/mcp/overhead.ts MCP overhead, bundled here with esbuild (needs `npm run build`: stdio
//                                 runs the built CLI)
//   ui      bench/ui/run.mjs      investigation UI in Chromium (needs `npm run build`)
//   deploy  bench/deploy/run.ts   Docker deployment to a verified, connected server (bundled here;
//                                 needs `npm run build`; starts its own dockerd: root)
//   vql-gate bench/mcp/vql-gate.ts  the read-only VQL gate on the largest queries (bundled here)
//   agents  bench/agents/run.ts   a 20 MB agent push to 20 real sshd hosts at concurrency 1 and 8
//                                 (bundled here; needs `npm run build`; root: the hosts' namespaces)
// Arguments after the names are passed to each benchmark (useful with one name), e.g.
// `npm run bench -- ui --rows 100000`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'out', 'cli', 'megaraptor.mjs');
const RENDERER = join(ROOT, 'out', 'renderer', 'index.html');

/** Each benchmark: what it needs first, and how to run it (returns the exit code). */
const BENCHES = {
  stream: { needs: [], run: (args) => node([join(ROOT, 'bench', 'stream', 'run.mjs'), ...args]) },
  pki: { needs: [], run: (args) => node([join(ROOT, 'bench', 'pki', 'run.mjs'), ...args]) },
  mcp: { needs: [CLI], run: (args) => mcp(args) },
  ui: { needs: [CLI, RENDERER], run: (args) => node([join(ROOT, 'bench', 'ui', 'run.mjs'), ...args]) },
  deploy: { needs: [CLI], run: (args) => bundled('deploy', join(ROOT, 'bench', 'deploy', 'run.ts'), args) },
  agents: {
    needs: [CLI],
    // ssh2 bundled in (as the CLI does): the SSH layer imports its named exports, which an external
    // CommonJS ssh2 does not offer to ESM; its optional native bindings stay out.
    run: (args) =>
      bundled('agents', join(ROOT, 'bench', 'agents', 'run.ts'), args, {
        external: ['@napi-rs/keyring', 'esbuild', 'cpu-features', '*.node'],
        cjsGlobals: true,
      }),
  },
  'vql-gate': {
    needs: [],
    run: (args) => bundled('vql-gate', join(ROOT, 'bench', 'mcp', 'vql-gate.ts'), args),
  },
};

function node(args) {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' });
  if (r.error) console.error(r.error.message);
  return r.status ?? 1;
}

/** Bundles a TypeScript runner with esbuild (external packages resolve from node_modules) and runs it. */
async function bundled(
  name,
  entry,
  args,
  {
    external = ['@napi-rs/keyring', 'dockerode', 'ssh2', 'cpu-features', 'esbuild'],
    cjsGlobals = false,
  } = {},
) {
  const { bundleForNode } = await import('../bench/lib.mjs');
  const cacheDir = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const out = mkdtempSync(join(cacheDir, `mr-bench-${name}-`));
  try {
    await bundleForNode({ [name]: entry }, out, { external, cjsGlobals });
    return node([join(out, `${name}.mjs`), ...args]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** bench/mcp has no runner of its own: bundle overhead.ts as its header says, then run it. */
async function mcp(args) {
  const { bundleForNode } = await import('../bench/lib.mjs');
  // Inside the repo so the external (native) package resolves from node_modules at run time.
  const cacheDir = join(ROOT, 'node_modules', '.cache');
  mkdirSync(cacheDir, { recursive: true });
  const out = mkdtempSync(join(cacheDir, 'mr-bench-mcp-'));
  try {
    await bundleForNode({ overhead: join(ROOT, 'bench', 'mcp', 'overhead.ts') }, out, {
      external: ['@napi-rs/keyring'],
    });
    return node([join(out, 'overhead.mjs'), ...args]);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
const names = [];
while (argv.length && argv[0] in BENCHES) names.push(argv.shift());
if (argv.length && !argv[0].startsWith('-')) {
  console.error(`Unknown benchmark "${argv[0]}". Known: ${Object.keys(BENCHES).join(', ')}.`);
  process.exit(2);
}
const chosen = names.length ? names : Object.keys(BENCHES);

let failed = 0;
for (const name of chosen) {
  const b = BENCHES[name];
  const missing = b.needs.filter((p) => !existsSync(p));
  console.log(`\n=== bench ${name} ===`);
  if (missing.length) {
    console.error(`bench ${name}: ${missing.join(', ')} missing: run \`npm run build\` first.`);
    failed++;
    continue;
  }
  const t0 = Date.now();
  const code = await b.run(argv);
  console.log(
    `=== bench ${name}: ${code === 0 ? 'done' : `failed (exit ${code})`} in ${((Date.now() - t0) / 1000).toFixed(0)} s ===`,
  );
  if (code !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
