#!/usr/bin/env node
// Bundles the `megaraptor` CLI into out/cli/megaraptor.mjs: ONE self-contained ESM file that plain
// `node` runs anywhere (the simulator runs from it in a container without node_modules). Only
// @napi-rs/keyring and dockerode (native addons, imported lazily) and electron stay external. CommonJS
// dependencies get a real `require` through the createRequire banner.
import { chmodSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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
    // dockerode is bundled (the Docker deployer imports it lazily, on first use, so other commands do
    // not load it): an external dockerode fails with "Cannot find package" wherever the bundle runs
    // without node_modules. Its ssh2 and the SSH layer's load their optional .node bindings in a
    // try/catch with a pure-JS fallback, so leaving *.node out keeps the bundle self-contained.
    external: ['@napi-rs/keyring', 'electron', '*.node'],
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

// Run as a script only when this file itself was started: a runner that bundles this module in (the
// agents benchmark) has the bundle's URL here, which is its own argv[1] too.
const self = fileURLToPath(import.meta.url);
if (process.argv[1] === self && basename(self) === 'build-cli.mjs') {
  await buildCli();
  console.log('build-cli: out/cli/megaraptor.mjs written');
}
