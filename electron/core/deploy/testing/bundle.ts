/**
 * Bundles a test child (TypeScript) into one CommonJS file in a temp dir, so a SIGKILL lands in real
 * application code run by plain `node`, not in a TypeScript loader. Native packages stay external
 * and resolve through NODE_PATH = the project's node_modules.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
export const PROJECT_ROOT = resolve(here, '../../../..');

export interface BundledScript {
  file: string;
  env: NodeJS.ProcessEnv;
  cleanup(): Promise<void>;
}

export async function bundleScript(entry: string): Promise<BundledScript> {
  const dir = await mkdtemp(join(tmpdir(), 'megaraptor-deploy-child-'));
  const file = join(dir, `${basename(entry).replace(/\.ts$/, '')}.cjs`);
  await build({
    entryPoints: [entry],
    outfile: file,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['@napi-rs/keyring', 'dockerode', 'ssh2', 'cpu-features'],
    supported: { 'dynamic-import': false },
    define: { 'import.meta.url': '__importMetaUrl' },
    banner: { js: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'silent',
  });
  return {
    file,
    env: { ...process.env, NODE_PATH: join(PROJECT_ROOT, 'node_modules') },
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
