#!/usr/bin/env node
// The Electron binary for `npm start` and `npm run dist`. From Electron 42 on, `npm install` no longer
// downloads it (the package has no install script; it downloads lazily on the first require('electron')),
// but electron-vite only looks for node_modules/electron/path.txt and stops with "Electron uninstall".
// This step decides whether the binary is there (the same checks as the package's own install.js) and
// downloads it when it is not, with progress, through @electron/get (the package's own dependency, with
// its checksums.json). When the download fails it says so and points to browser mode, which needs no
// Electron. Run directly: `node scripts/electron-binary.mjs` (exit 1 with the reason when it fails).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const ELECTRON_DIR = join(ROOT, 'node_modules', 'electron');

export const BROWSER_MODE_HINT =
  'Without Electron the same app runs in your browser: npm run build && node out/cli/megaraptor.mjs serve';

/** The executable's path inside dist/, as install.js names it per platform. */
export function platformPath(platform = process.platform) {
  switch (platform) {
    case 'darwin':
    case 'mas':
      return 'Electron.app/Contents/MacOS/Electron';
    case 'win32':
      return 'electron.exe';
    case 'linux':
    case 'freebsd':
    case 'openbsd':
      return 'electron';
    default:
      throw new Error(`Electron builds are not available on platform ${platform}.`);
  }
}

function readText(file) {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/**
 * Whether the binary the electron package wants is installed: `{state: 'present', path, version}` or
 * `{state: 'missing', version, reason}`. The same checks as install.js: dist/version is the package's
 * version, path.txt names this platform's executable, and the executable exists.
 */
export function electronState(dir = ELECTRON_DIR, { env = process.env, platform = process.platform } = {}) {
  const pkg = readText(join(dir, 'package.json'));
  if (!pkg) return { state: 'missing', version: '', reason: `${dir} is not installed (run npm install)` };
  const version = JSON.parse(pkg).version;
  const dist = env.ELECTRON_OVERRIDE_DIST_PATH || join(dir, 'dist');
  const installed = readText(join(dir, 'dist', 'version'))?.replace(/^v/, '');
  const rel = readText(join(dir, 'path.txt'));
  if (!rel) return { state: 'missing', version, reason: 'its binary was never downloaded' };
  if (!env.ELECTRON_OVERRIDE_DIST_PATH && installed !== version)
    return {
      state: 'missing',
      version,
      reason: installed ? `the binary installed is ${installed}` : 'dist/version is missing',
    };
  if (rel !== platformPath(platform))
    return { state: 'missing', version, reason: `the binary installed is for another platform (${rel})` };
  const path = join(dist, rel);
  if (!existsSync(path)) return { state: 'missing', version, reason: `${path} is missing` };
  return { state: 'present', path, version };
}

const MB = 1024 * 1024;

/** Progress lines: one rewritten line on a terminal, a line per 10% elsewhere (CI logs). */
export function progressPrinter(version, out = process.stderr) {
  let lastTenth = -1;
  return ({ transferred, total }) => {
    const pct = total ? Math.floor((100 * transferred) / total) : 0;
    const text = total
      ? `Downloading Electron ${version}: ${pct}% (${(transferred / MB).toFixed(1)} of ${(total / MB).toFixed(1)} MB)`
      : `Downloading Electron ${version}: ${(transferred / MB).toFixed(1)} MB`;
    if (out.isTTY) out.write(`\r${text}`);
    else if (Math.floor(pct / 10) !== lastTenth) {
      lastTenth = Math.floor(pct / 10);
      out.write(`${text}\n`);
    }
  };
}

/**
 * Downloads and unpacks the binary into `dir`/dist and writes path.txt, as install.js does.
 * `mirror` (or ELECTRON_MIRROR) and `cacheRoot` are @electron/get's own options.
 */
export async function downloadElectron({
  dir = ELECTRON_DIR,
  version,
  onProgress,
  mirror,
  cacheRoot,
  platform = process.platform,
  arch = process.arch,
}) {
  const { downloadArtifact } = await import('@electron/get');
  const checksums = JSON.parse(readFileSync(join(dir, 'checksums.json'), 'utf8'));
  const zip = await downloadArtifact({
    version,
    artifactName: 'electron',
    platform,
    arch,
    checksums,
    ...(cacheRoot ? { cacheRoot } : {}),
    ...(mirror ? { mirrorOptions: { mirror } } : {}),
    downloadOptions: {
      quiet: true,
      ...(onProgress ? { getProgressCallback: async (p) => onProgress(p) } : {}),
    },
  });
  const { extract } = await import('@electron-internal/extract-zip');
  await extract(zip, { dir: join(dir, 'dist') });
  writeFileSync(join(dir, 'path.txt'), platformPath(platform));
}

/**
 * Makes sure the binary is there: nothing to do when it is, else one download (`fetchBinary`, the real
 * one by default). Throws an Error whose message says what failed and how to run without Electron.
 */
export async function ensureElectron({
  dir = ELECTRON_DIR,
  fetchBinary = downloadElectron,
  log = (line) => process.stderr.write(`${line}\n`),
  out = process.stderr,
  env = process.env,
  platform = process.platform,
} = {}) {
  const before = electronState(dir, { env, platform });
  if (before.state === 'present') return before;
  if (!before.version) throw new Error(`Electron is not installed: ${before.reason}. ${BROWSER_MODE_HINT}`);
  log(
    `Electron ${before.version} is not installed yet (${before.reason}); downloading it once (about 100 MB).`,
  );
  try {
    await fetchBinary({ dir, version: before.version, onProgress: progressPrinter(before.version, out) });
  } catch (e) {
    // fetch() says only "fetch failed"; the network's own reason is its cause.
    const first = (x) => (x instanceof Error ? x.message.split('\n')[0] : String(x));
    const why = e instanceof Error && e.cause ? `${first(e)} (${first(e.cause)})` : first(e);
    throw new Error(
      `Could not download Electron ${before.version}: ${why}\n` +
        'The desktop app needs this download once (from GitHub, or the mirror in ELECTRON_MIRROR).\n' +
        BROWSER_MODE_HINT,
      { cause: e },
    );
  }
  if (out.isTTY) out.write('\n');
  const after = electronState(dir, { env, platform });
  if (after.state !== 'present')
    throw new Error(`Electron ${before.version} was downloaded but ${after.reason}. ${BROWSER_MODE_HINT}`);
  log(`Electron ${after.version} is ready.`);
  return after;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    await ensureElectron();
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(1);
  }
}
