/** The connection manager's own file: connections.json in the data folder. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestPki, mintApiConfigFields, toYaml } from '../velociraptor/testing/mint';
import { ConnectionManager, connectionsFile } from './manager';

let yaml: string;
let dir: string;
let manager: ConnectionManager;

beforeAll(async () => {
  yaml = toYaml(await mintApiConfigFields(await createTestPki(), 'analyst', '127.0.0.1:8001'));
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'mr-conn-manager-'));
  manager = new ConnectionManager({
    dataDir: dir,
    secrets: () => Promise.resolve(null),
    demo: () => Promise.reject(new Error('no demo here')),
  });
});

afterEach(async () => {
  await manager.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('connections.json', () => {
  it('takes many changes at once: each one succeeds and the file lists them all', async () => {
    // Every change rewrites the file; a shared temp name made all but one of these fail (ENOENT).
    const names = Array.from({ length: 12 }, (_, i) => `lab ${i}`);
    await Promise.all(names.map((name) => manager.import({ name, yaml, storage: 'session' })));
    await Promise.all(names.map((server) => manager.select({ server, org: '' })));
    const saved = JSON.parse(readFileSync(connectionsFile(dir), 'utf8')) as {
      servers: Array<{ name: string }>;
    };
    expect(saved.servers.map((s) => s.name).sort()).toEqual([...names].sort());
    expect(readdirSync(dir)).toEqual(['connections.json']);
  });

  it('starts empty after a damaged file and writes a good one on the next change', async () => {
    writeFileSync(connectionsFile(dir), '{"servers": [');
    expect((await manager.list()).connections).toEqual([]);
    await manager.import({ name: 'lab', yaml, storage: 'session' });
    expect(JSON.parse(readFileSync(connectionsFile(dir), 'utf8'))).toMatchObject({
      servers: [{ name: 'lab', storage: 'session' }],
      active: { server: 'lab', org: '' },
    });
  });
});
