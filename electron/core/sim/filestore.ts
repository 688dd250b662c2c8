/**
 * The simulator's filestore under datastoreDir: uploads, stand-in packages and download zips. Paths
 * are the Velociraptor-style components VFSGetBuffer takes; components are checked so nothing
 * resolves outside the store.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

export class FileStore {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true });
  }

  private pathOf(components: string[]): string {
    for (const c of components) {
      if (c === '' || c === '.' || c === '..' || c.includes('/') || c.includes('\\') || c.includes('\0'))
        throw new Error(`Invalid path component "${c}"`);
    }
    const full = resolve(this.root, ...components.map((c) => c.replace(/:/g, '%3A')));
    if (!full.startsWith(resolve(this.root) + sep)) throw new Error('Invalid pathspec');
    return full;
  }

  write(components: string[], data: Buffer): void {
    const full = this.pathOf(components);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, data);
  }

  readAll(components: string[]): Buffer | null {
    try {
      return readFileSync(this.pathOf(components));
    } catch {
      return null;
    }
  }

  async read(components: string[], offset: number, length: number): Promise<Buffer | null> {
    let full: string;
    try {
      full = this.pathOf(components);
    } catch {
      return null;
    }
    const handle = await open(full, 'r').catch(() => null);
    if (!handle) return null;
    try {
      const size = Math.max(0, Math.min(length, 8 * 1024 * 1024));
      const buf = Buffer.alloc(size);
      const { bytesRead } = await handle.read(buf, 0, size, offset);
      return buf.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  }
}
