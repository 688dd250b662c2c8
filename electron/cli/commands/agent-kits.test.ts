/**
 * `megaraptor agents collector|import|check` against the simulator (an isolated server: its
 * inventory has no Velociraptor binary until the CLI preloads one).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStandInCollector, startSimulator, type RunningSimulator } from '../../core/sim/index';
import { runInProcess } from '../testing/run-cli';

let sim: RunningSimulator;
let dir: string;
let config: string;
// A mirror on a closed loopback port: the release cache is asked (VelociraptorWindows) but never the internet.
const env = (): NodeJS.ProcessEnv => ({
  MEGARAPTOR_DATA_DIR: join(dir, 'data'),
  MEGARAPTOR_RELEASE_MIRROR: 'https://127.0.0.1:9/',
});

const run = (argv: string[]) => runInProcess(argv, env(), dir);
/** `agents collector` for the simulator's server: the target OS, one artifact, then `more` flags. */
const collector = (os: string, artifact: string, ...more: string[]) =>
  run(['agents', 'collector', '--api-config', config, '--os', os, '--artifact', artifact, ...more]);

beforeAll(async () => {
  sim = await startSimulator({ host: '127.0.0.1', speed: 100 });
  dir = mkdtempSync(join(tmpdir(), 'mr-cli-kits-'));
  config = join(dir, 'api.yaml');
  writeFileSync(config, await sim.mintApiConfig('cli-kits', ['administrator']), { mode: 0o600 });
  mkdirSync(join(dir, 'data', 'tool-cache', 'VelociraptorLinux'), { recursive: true });
  writeFileSync(
    join(dir, 'data', 'tool-cache', 'VelociraptorLinux', 'velociraptor-v0.77.2-linux-amd64-musl'),
    'ELF stand-in',
  );
});

afterAll(async () => {
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('megaraptor agents collector / import / check', () => {
  it('--plan lists each tool with its source and hash; a missing one exits 1', async () => {
    const win = await collector('Windows', 'Generic.Client.Info', '--plan');
    expect(win.code).toBe(1);
    expect(win.out).toMatch(/VelociraptorWindows\s+missing/);
    const linux = await collector('Linux', 'Generic.Client.Info', '--plan');
    expect(linux.code).toBe(0);
    expect(linux.out).toMatch(/VelociraptorLinux\s+file\s+[0-9a-f]{64} .*tool-cache/);
  });

  it('builds with the preload, then imports what the collector wrote', async () => {
    const built = await collector(
      'Linux',
      'Generic.Client.Info',
      '--file-name',
      'cli-collector',
      '--out',
      dir,
    );
    expect(built.err).toBe('… preload VelociraptorLinux\n… build\n');
    expect(built.out).toContain('Preloaded: VelociraptorLinux');
    expect(built.out).toMatch(/Collector .*cli-collector \(\d+ bytes, sha256 [0-9a-f]{64}\)/);
    const endpoint = join(dir, 'endpoint');
    mkdirSync(endpoint);
    const zip = await runStandInCollector(join(dir, 'cli-collector'), {
      outDir: endpoint,
      hostname: 'cli-host-7',
    });
    const imported = await run(['agents', 'import', '--api-config', config, zip, '--json']);
    expect(imported.code).toBe(0);
    const r = JSON.parse(imported.out) as {
      clientId: string;
      totalRows: number;
      artifacts: Array<{ name: string }>;
    };
    expect(r.totalRows).toBeGreaterThan(0);
    expect(r.artifacts.map((a) => a.name)).toContain('Generic.Client.Info/BasicInformation');
    const checked = await run(['agents', 'check', '--api-config', config, 'cli-host-7', 'no-such-host']);
    expect(checked.code).toBe(1);
    expect(checked.out).toContain(`cli-host-7: ${r.clientId} cli-host-7`);
    expect(checked.out).toContain('no-such-host: not enrolled');
  });

  it('refuses what it cannot use', async () => {
    const r = await run(['agents', 'import', '--api-config', config]);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('import takes one ZIP');
    const t = await collector('Linux', 'X.Y', '--tool', 'nonsense', '--plan');
    expect(t.err).toContain('--tool is NAME=FILE');
  });
});

describe('megaraptor agents kit gpo / installer', () => {
  it('kit gpo writes the folder, SHA256SUMS and the ZIP', async () => {
    const msi = join(dir, 'agent.msi');
    writeFileSync(msi, Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(100)]));
    const r = await run([
      'agents',
      'kit',
      'gpo',
      '--api-config',
      config,
      '--msi',
      msi,
      '--out',
      join(dir, 'gpo'),
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^GPO kit in .*gpo and .*gpo\.zip \(sha256 [0-9a-f]{64}\):/);
    expect(r.out).toMatch(/[0-9a-f]{64} {2}agent\.msi/);
  });

  it('installer refuses what it cannot build', async () => {
    const r = await run(['agents', 'installer', 'pkg', '--api-config', config]);
    expect(r.err).toContain('the installer is msi, deb or rpm, not "pkg"');
  });
});
