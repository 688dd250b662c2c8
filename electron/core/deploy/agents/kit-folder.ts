/** Where the kits page saves what it builds: the data folder's `exports/agent-kits/`. */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export async function kitFolder(dataDir: string): Promise<string> {
  const dir = join(dataDir, 'exports', 'agent-kits');
  await mkdir(dir, { recursive: true });
  return dir;
}

/** A compact UTC time for file names (20261207T063000). */
export const stamp = (): string => new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
