#!/usr/bin/env node
// Bundles the `megaraptor` CLI into out/cli/megaraptor.mjs: ONE self-contained ESM file that plain
// `node` runs anywhere (the simulator runs from it in a container without node_modules). Only
// @napi-rs/keyring and dockerode (native addons, imported lazily) and electron stay external. CommonJS
// dependencies get a real `require` through the createRequire banner.
import { chmodSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Writes the bundle to `outfile` (default out/cli/megaraptor.mjs; tests bundle into a folder of their own). */
export async function buildCli(outfile = join(root, 'out', 'cli', 'megaraptor.mjs')) {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  await build({
    entryPoints: [join(root, 'electron', 'cli', 'megaraptor.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // dockerode (through ssh2) carries native addons; the Docker deployer imports it lazily, on first
    // use. The SSH layer imports ssh2 itself: its optional .node bindings are loaded in a try/catch
    // with a pure-JS fallback, so leaving them out keeps the bundle self-contained.
    external: ['@napi-rs/keyring', 'electron', 'dockerode', '*.node'],
    define: { __APP_VERSION__: JSON.stringify(pkg.version) },
    banner: {
      js: [
        '#!/usr/bin/env node',
        "import { createRequire as __mrCreateRequire } from 'node:module';",
        'const require = __mrCreateRequire(import.meta.url);',
        // CommonJS dependencies (ssh2's agent module) read these at load time.
        "import { fileURLToPath as __mrFileUrlToPath } from 'node:url';",
        'const __filename = __mrFileUrlToPath(import.meta.url);',
        "import { dirname as __mrDirname } from 'node:path';",
        'const __dirname = __mrDirname(__filename);',
      ].join('\n'),
    },
    sourcemap: 'linked',
    legalComments: 'none',
    logLevel: 'warning',
  });
  chmodSync(outfile, 0o755);
  return outfile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await buildCli();
  console.log('build-cli: out/cli/megaraptor.mjs written');
}
