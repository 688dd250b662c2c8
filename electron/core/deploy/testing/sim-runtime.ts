/**
 * What a test image needs so the SIMULATOR can stand in for the Velociraptor binary: node, the
 * libraries `ldd` lists for it, the bundled CLI, and the `velociraptor` launcher (sim/launcher.ts) —
 * the launcher is the "binary" the deployer verifies and puts at /usr/local/bin/velociraptor.
 */
import { execFile } from 'node:child_process';
import { mkdir, realpath, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import { velociraptorLauncher } from '../../sim/launcher';
import type { ImageFile } from '../docker/spec';

const run = promisify(execFile);
export const IMAGE_CLI_PATH = '/opt/megaraptor/megaraptor.mjs';

export interface SimRuntime {
  /** The launcher file (stands in for velociraptor-v…-linux-amd64-musl). */
  launcher: string;
  /** node, its libraries and the CLI bundle, for the image. */
  extraFiles: ImageFile[];
  /** The bundle on this machine (for a launcher run here). */
  cli: string;
}

/** `prebuiltCli`: an already built bundle (the benchmark uses out/cli/megaraptor.mjs) instead of a fresh one. */
export async function simRuntime(dir: string, prebuiltCli?: string): Promise<SimRuntime> {
  await mkdir(dir, { recursive: true });
  const cli = prebuiltCli ?? (await buildCli(join(dir, 'megaraptor.mjs')));
  const launcher = join(dir, 'velociraptor');
  await writeFile(launcher, velociraptorLauncher(IMAGE_CLI_PATH), { mode: 0o755 });
  const node = await realpath(process.execPath);
  const { stdout } = await run('ldd', [node]);
  const libs = [...stdout.matchAll(/(\/\S+)\s+\(0x/g)].map((m) => m[1]!);
  const extraFiles: ImageFile[] = [
    { path: '/usr/bin/node', source: node, mode: 0o755 },
    ...libs.map((l) => ({ path: l, source: l, mode: 0o755 })),
    { path: IMAGE_CLI_PATH, source: cli, mode: 0o644 },
  ];
  return { launcher, extraFiles, cli };
}
