// What the benchmark runners share: bundling a TypeScript entry for plain node (the benches run
// without a TS loader), starting a CLI process and waiting for its "ready" output, stopping it, and
// the median of a run set.
import { spawn } from 'node:child_process';
import { build } from 'esbuild';

// Bundled ESM has no `require`; some dependencies (grpc-js, protobufjs) still call it.
const REQUIRE_BANNER =
  "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);";

/** CommonJS code bundled in (ssh2) reads __dirname/__filename, which ESM has not. */
const CJS_GLOBALS_BANNER =
  "import { fileURLToPath as __fu } from 'node:url'; import { dirname as __dn } from 'node:path'; const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);";

/**
 * Bundles TS entries for node: `entries` maps an output name to a source path; each lands in
 * `<outdir>/<name>.mjs`. `external` keeps native packages (@napi-rs/keyring) out of the bundle — then
 * outdir must sit where node_modules resolves. `cjsGlobals` defines __dirname/__filename for CommonJS
 * packages bundled in.
 */
export async function bundleForNode(entries, outdir, { external = [], cjsGlobals = false } = {}) {
  await build({
    entryPoints: entries,
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outExtension: { '.js': '.mjs' },
    external,
    banner: { js: cjsGlobals ? `${REQUIRE_BANNER} ${CJS_GLOBALS_BANNER}` : REQUIRE_BANNER },
    logLevel: 'warning',
  });
}

/**
 * Spawns `node [nodeArgs] script args` and resolves once `ready(output)` returns a truthy value (the
 * value is passed on); rejects if the process exits first or after 60 s. The child is pushed to
 * `children` so the runner can kill whatever is left on exit.
 */
export function startProcess({
  script,
  args,
  env = {},
  ready,
  cwd,
  nodeArgs = [],
  children = [],
  pollMs = 50,
}) {
  const child = spawn(process.execPath, [...nodeArgs, script, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (c) => (out += c));
  child.stderr.on('data', (c) => (out += c));
  return new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`${args[0]} did not start within 60 s:\n${out}`)), 60_000);
    const poll = setInterval(() => {
      const value = ready(out);
      if (value) {
        clearTimeout(timer);
        clearInterval(poll);
        res({ child, value, output: () => out });
      }
    }, pollMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      clearInterval(poll);
      rej(new Error(`${args[0]} exited with ${code}:\n${out}`));
    });
  });
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the process is gone. */
export function stopProcess(child) {
  return new Promise((res) => {
    if (child.exitCode !== null) return res();
    child.once('exit', () => res());
    child.kill('SIGTERM');
    setTimeout(() => child.exitCode === null && child.kill('SIGKILL'), 5000);
  });
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
