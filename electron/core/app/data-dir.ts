/**
 * Where the app keeps its metadata (connection index, window state, journals). Electron's main
 * process passes `app.getPath('userData')`; `megaraptor serve` and the CLI compute the same folder
 * themselves so both modes see the same data. Tests point MEGARAPTOR_DATA_DIR at a temp dir.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export const DATA_DIR_ENV = 'MEGARAPTOR_DATA_DIR';

/** The folder Electron would use for `userData` with our productName, computed without Electron. */
export function platformUserDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  const name = 'Megaraptor Desktop';
  if (platform === 'win32') return join(env.APPDATA ?? join(home, 'AppData', 'Roaming'), name);
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', name);
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(home, '.config'), name);
}

/**
 * The data dir: MEGARAPTOR_DATA_DIR when set (resolved against cwd), else `fallback` (Electron's
 * userData) or the platform folder. Created with owner-only permissions.
 */
export function resolveDataDir(
  options: { env?: NodeJS.ProcessEnv; fallback?: string; cwd?: string } = {},
): string {
  const env = options.env ?? process.env;
  const override = env[DATA_DIR_ENV];
  const dir =
    override !== undefined && override.trim() !== ''
      ? resolve(options.cwd ?? process.cwd(), override)
      : (options.fallback ?? platformUserDataDir(process.platform, env));
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}
