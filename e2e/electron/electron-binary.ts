/**
 * Where the Electron binary is, found the way node_modules/electron does it but without requiring
 * that package: from v42 on, requiring it starts a download when the binary is missing, and these
 * machines have no network. Returns undefined (with the reason) when there is none.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../serve';

export function electronBinary(): { path?: string; reason?: string } {
  const pkg = join(ROOT, 'node_modules', 'electron');
  const pathFile = join(pkg, 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      reason:
        'no Electron binary (node_modules/electron/path.txt is missing: installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1)',
    };
  }
  const rel = readFileSync(pathFile, 'utf8').trim();
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkg, 'dist');
  const bin = join(dist, rel);
  return existsSync(bin) ? { path: bin } : { reason: `no Electron binary at ${bin}` };
}
