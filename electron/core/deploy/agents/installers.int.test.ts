/**
 * Installers as real files, built by a Velociraptor binary's own subcommands on this machine. CI: the
 * simulator as the drop-in `velociraptor` binary (the bundled CLI behind a launcher) writes a REAL
 * .deb, read back with dpkg-deb (a tool nobody here wrote): our agent config byte for byte, the
 * binary we gave, the unit, the name and sha256. It repacks a REAL MSI — one shaped like the official
 * release's, built at run time by msitools (testing/test-msi.ts) — read back with msiextract and
 * msiinfo, and the GPO kit carries that MSI. Its .rpm is read back with rpm -qip, rpm -Kv (header and
 * payload digests), rpm -qlvp, --scripts and rpm2archive.
 * By hand with MEGARAPTOR_INSTALLER_REAL_BINARY (e.g. /work/vr/velociraptor-0.77.2): the real binary
 * builds the deb and the rpm (read back with rpm -qip and rpm2archive) and repacks the same test MSI
 * to the same bytes as the simulator — docs/real-server-conformance.md, "Agent kits", "MSI repack".
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildCli } from '../../../../scripts/build-cli.mjs';
import { isAppError } from '../../../../shared/errors';
import { onPath } from '../../../../test/real-parts';
import { startSimulator, velociraptorLauncher, type RunningSimulator } from '../../sim/index';
import { ConnectionRegistry, VelociraptorService, loadApiConfig } from '../../velociraptor/index';
import { sha256File } from '../releases/cache';
import type { AgentService } from './service';
import { testAgentService } from './testing/agent-service';
import { buildTestMsi, extractMsi, msiTable, msiTools, placeholderConfig } from './testing/test-msi';

const run = promisify(execFile);
const realBinary = process.env.MEGARAPTOR_INSTALLER_REAL_BINARY;

let sim: RunningSimulator;
let dir: string;
let launcher: string;
let packMe: string;
/** The stand-in Velociraptor.exe of the test MSIs. */
const standInExe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(200_000, 0x5a)]);
const msiParts = msiTools();
const rpmParts = onPath(['rpm', 'rpm2archive'], 'scripts/setup-test-env.sh (rpm)');
let server: VelociraptorService;
const target = { server: 'sim', org: '' };

function agents(localVelociraptor: string): AgentService {
  return testAgentService(dir, () => server, {
    source: { kind: 'mirror', baseUrl: 'https://127.0.0.1:9/' },
    localVelociraptor: () => Promise.resolve(localVelociraptor),
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mr-installers-'));
  const cli = await buildCli(join(dir, 'megaraptor.mjs'));
  launcher = join(dir, 'velociraptor');
  await writeFile(launcher, velociraptorLauncher(cli, await realpath(process.execPath)), { mode: 0o755 });
  packMe = join(dir, 'velociraptor-v0.77.2-linux-amd64');
  await writeFile(packMe, Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(300_000, 7)]));
  sim = await startSimulator({ host: '127.0.0.1', speed: 50 });
  const registry = new ConnectionRegistry();
  registry.addConfig('sim', loadApiConfig(await sim.mintApiConfig('installers', ['administrator'])));
  server = new VelociraptorService(registry.connection('sim'));
}, 180_000);

afterAll(async () => {
  await sim?.stop();
  await rm(dir, { recursive: true, force: true });
});

/**
 * What an agent reads from the packaged config. The real binary re-serialises the config it packs
 * (adds the version block, Client.version, max_poll 60; reorders keys), so the comparison is of the
 * fields that decide where and how the agent enrols.
 */
function enrolment(yaml: string): Record<string, unknown> {
  const c = (parse(yaml) as { Client: Record<string, unknown> }).Client;
  return {
    server_urls: c.server_urls,
    ca_certificate: c.ca_certificate,
    nonce: c.nonce,
    labels: c.labels,
    writeback_linux: c.writeback_linux,
    use_self_signed_ssl: c.use_self_signed_ssl,
  };
}

async function debField(deb: string, field: string): Promise<string> {
  return (await run('dpkg-deb', ['-f', deb, field])).stdout.trim();
}

async function debFile(deb: string, path: string): Promise<Buffer> {
  const { stdout } = await run('sh', ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -xO "$2"', 'x', deb, path], {
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  return stdout;
}

it(`has ${msiParts.name} (required in CI)`, () => msiParts.check());
it(`has ${rpmParts.name} (required in CI)`, () => rpmParts.check());

const CONFIG_PATH = 'PFiles/Velociraptor/client.config.yaml';
const EXE_PATH = 'PFiles/Velociraptor/Velociraptor.exe';

describe('installers with the simulator as the velociraptor binary', () => {
  it('deb: a real package carrying our config and the binary given', async () => {
    const a = agents(launcher);
    const out = join(dir, 'deb');
    const built = await a.buildInstaller(target, {
      kind: 'deb',
      outDir: out,
      binary: { path: packMe },
      labels: ['IR-2026-7'],
    });
    expect(built.file.name).toBe('velociraptor_client_0.77.2_amd64.deb');
    expect(built.file.path).toBe(join(out, built.file.name));
    expect(built.file.sha256).toBe(await sha256File(built.file.path));
    expect(built.command).toEqual([
      'velociraptor',
      '--config',
      'client.config.yaml',
      'debian',
      'client',
      '--binary',
      packMe,
      '--output',
      out,
    ]);
    expect(built.binarySha256).toBe(await sha256File(packMe));
    // dpkg-deb reads it: control fields, file list, our config back.
    expect(await debField(built.file.path, 'Package')).toBe('velociraptor-client');
    expect(await debField(built.file.path, 'Version')).toBe('0.77.2');
    const { stdout: list } = await run('dpkg-deb', ['-c', built.file.path]);
    expect(list).toMatch(/etc\/velociraptor\/client\.config\.yaml/);
    expect(list).toMatch(/-rwxr-xr-x .*usr\/local\/bin\/velociraptor_client/);
    const expected = await a.agentConfigFor(target, { labels: ['IR-2026-7'] });
    const packed = (await debFile(built.file.path, 'etc/velociraptor/client.config.yaml')).toString();
    expect(enrolment(packed)).toEqual(enrolment(expected.yaml));
    expect(enrolment(packed).labels).toEqual(['IR-2026-7']);
    expect(await debFile(built.file.path, 'usr/local/bin/velociraptor_client')).toEqual(
      await readFile(packMe),
    );
    const unit = (
      await debFile(built.file.path, 'etc/systemd/system/velociraptor_client.service')
    ).toString();
    expect(unit).toContain(
      'ExecStart=/usr/local/bin/velociraptor_client --config /etc/velociraptor/client.config.yaml client',
    );
    // No config copy is left behind in a temp folder of ours.
    expect((await readdir(tmpdir())).filter((n) => n.startsWith('megaraptor-installer-'))).toEqual([]);
  }, 120_000);

  it.runIf(rpmParts.run)(
    'rpm: a real package that rpm -qip, -K and rpm2archive read, our config byte for byte',
    async () => {
      // An x86-64 ELF header (rpm takes the architecture from the ELF machine), then filler.
      const elf = Buffer.alloc(250_000, 9);
      Buffer.from('7f454c4602010100000000000000000002003e00', 'hex').copy(elf);
      const linuxClient = join(dir, 'velociraptor-v0.77.2-linux-amd64-elf');
      await writeFile(linuxClient, elf);
      const a = agents(launcher);
      const out = join(dir, 'rpm');
      const built = await a.buildInstaller(target, {
        kind: 'rpm',
        outDir: out,
        binary: { path: linuxClient },
        labels: ['IR-2026-7'],
      });
      expect(built.file.name).toBe('velociraptor_client_0.77.2_x86_64.rpm');
      expect(built.file.sha256).toBe(await sha256File(built.file.path));
      expect(built.command.slice(3, 5)).toEqual(['rpm', 'client']);
      const { stdout: info } = await run('rpm', ['-qip', built.file.path]);
      expect(info).toMatch(/Name\s+: velociraptor_client\n/);
      expect(info).toMatch(/Version\s+: 0\.77\.2\n/);
      expect(info).toMatch(/Release\s+: A\n/);
      expect(info).toMatch(/Architecture: x86_64\n/);
      const { stdout: digests } = await run('rpm', ['-Kv', built.file.path]);
      expect(digests).toMatch(/Header SHA256 digest: OK/);
      expect(digests).toMatch(/Payload SHA256 digest: OK/);
      const expected = await a.agentConfigFor(target, { labels: ['IR-2026-7'] });
      // rpm -qlvp: mode, links, owner, group, size, date (3 words), path.
      const { stdout: files } = await run('rpm', ['-qlvp', built.file.path]);
      const listed = files
        .trim()
        .split('\n')
        .map((l) => l.split(/\s+/))
        .map((w) => [...w.slice(0, 5), w[8]]);
      expect(listed).toEqual([
        [
          '-rw-------',
          '1',
          'root',
          'root',
          String(Buffer.byteLength(expected.yaml)),
          '/etc/velociraptor/client.config.yaml',
        ],
        ['-rwxr-xr-x', '1', 'root', 'root', String(elf.length), '/usr/local/bin/velociraptor_client'],
      ]);
      const { stdout: scripts } = await run('rpm', ['-qp', '--scripts', built.file.path]);
      expect(scripts).toContain(
        'ExecStart=/usr/local/bin/velociraptor_client --config /etc/velociraptor/client.config.yaml client',
      );
      expect(scripts).toContain('/bin/systemctl enable velociraptor_client.service');
      const extract = async (path: string): Promise<Buffer> =>
        (
          await run('sh', ['-c', 'rpm2archive - < "$1" | tar -xzO "$2"', 'x', built.file.path, path], {
            encoding: 'buffer',
            maxBuffer: 64 * 1024 * 1024,
          })
        ).stdout;
      expect((await extract('./etc/velociraptor/client.config.yaml')).toString()).toBe(expected.yaml);
      expect(await extract('./usr/local/bin/velociraptor_client')).toEqual(elf);
      // Not an ELF it can name: refused as the real binary refuses it.
      const refused: unknown = await a
        .buildInstaller(target, { kind: 'rpm', outDir: join(dir, 'rpm-bad'), binary: { path: packMe } })
        .catch((e: unknown) => e);
      expect(isAppError(refused, 'DEPLOY_FAILED')).toBe(true);
      expect((refused as Error).message).toContain('unknown binary architecture');
    },
    60_000,
  );

  it.runIf(msiParts.run)(
    'msi: the official-shaped MSI repacked with our config, read back by msiextract',
    async () => {
      const official = await buildTestMsi(dir, 'velociraptor-v0.77.2-windows-amd64.msi', { exe: standInExe });
      const before = await extractMsi(official);
      expect(before.get(CONFIG_PATH)).toEqual(placeholderConfig());
      const a = agents(launcher);
      const out = join(dir, 'msi');
      const built = await a.buildInstaller(target, {
        kind: 'msi',
        outDir: out,
        binary: { path: official },
        msi: official,
        labels: ['IR-2026-7'],
      });
      expect(built.file.name).toBe('velociraptor-v0.77.2-windows-amd64-repacked.msi');
      expect(built.command).toEqual([
        'velociraptor',
        'config',
        'repack',
        '--msi',
        official,
        'client.config.yaml',
        join(out, built.file.name),
      ]);
      expect(built.binarySha256).toBe(await sha256File(official));
      expect(built.file.sha256).toBe(await sha256File(built.file.path));
      expect(built.notes.join(' ')).toContain('Authenticode signature');
      // Repacking rewrites in place: same length, same tables, same exe; the config replaced.
      expect(built.file.bytes).toBe((await readFile(official)).length);
      expect(await msiTable(built.file.path, 'File')).toEqual(await msiTable(official, 'File'));
      const after = await extractMsi(built.file.path);
      expect([...after.keys()].sort()).toEqual([CONFIG_PATH, EXE_PATH].sort());
      expect(after.get(EXE_PATH)).toEqual(standInExe);
      const packed = after.get(CONFIG_PATH) ?? Buffer.alloc(0);
      const expected = await a.agentConfigFor(target, { labels: ['IR-2026-7'] });
      // The config byte for byte (repack does not re-serialise it), then the padding the placeholder
      // length leaves, which stays a YAML comment.
      expect(packed.length).toBe(placeholderConfig().length);
      expect(packed.subarray(0, Buffer.byteLength(expected.yaml)).toString()).toBe(expected.yaml);
      expect(packed.toString('latin1')).toContain('\n\n\n# Padding');
      expect(enrolment(packed.toString())).toEqual(enrolment(expected.yaml));
      expect(enrolment(packed.toString()).labels).toEqual(['IR-2026-7']);
    },
    120_000,
  );

  it.runIf(msiParts.run)(
    'msi errors: no placeholder, an unusable one, a config too big, not an MSI',
    async () => {
      const a = agents(launcher);
      const attempt = (msi: string, labels: string[] = []): Promise<unknown> =>
        a
          .buildInstaller(target, {
            kind: 'msi',
            outDir: join(dir, 'msi-err'),
            binary: { path: msi },
            msi,
            labels,
          })
          .catch((e: unknown) => e);
      const bare = await buildTestMsi(dir, 'bare.msi', { exe: standInExe, config: null });
      const noPlaceholder = await attempt(bare);
      expect(isAppError(noPlaceholder, 'INVALID_ARGUMENT')).toBe(true);
      expect((noPlaceholder as Error).message).toContain(
        'bare.msi carries no Velociraptor placeholder config',
      );
      // Markers without the first one: Velociraptor (and the simulator) exit 0 and write nothing; an
      // MSI of that name left by an earlier run is not taken for the result.
      const headless = placeholderConfig();
      headless.fill(' ', 0, 0x800);
      await mkdir(join(dir, 'msi-err'), { recursive: true });
      await writeFile(join(dir, 'msi-err', 'headless-repacked.msi'), 'an earlier run');
      const unusable = await attempt(
        await buildTestMsi(dir, 'headless.msi', { exe: standInExe, config: headless }),
      );
      expect(isAppError(unusable, 'DEPLOY_FAILED')).toBe(true);
      expect((unusable as Error).message).toContain(
        'Velociraptor found no placeholder config it could replace in headless.msi and wrote no MSI',
      );
      await rm(join(dir, 'msi-err', 'headless-repacked.msi'));
      const official = await buildTestMsi(dir, 'official-shaped.msi', { exe: standInExe });
      const many = Array.from({ length: 500 }, (_, i) => `case-2026-${i}-${'x'.repeat(40)}`);
      const tooBig = await attempt(official, many);
      expect(isAppError(tooBig, 'INVALID_ARGUMENT')).toBe(true);
      expect((tooBig as Error).message).toMatch(
        /^The agent config \(\d+ bytes\) is larger than the placeholder official-shaped\.msi reserves for it .*Insufficient space reserved in MSI file! Can not locate page \d+\..*Shorten the config/,
      );
      const notMsi = await attempt(packMe);
      expect((notMsi as Error).message).toContain('is not an MSI (no OLE compound file header)');
      expect(await readdir(join(dir, 'msi-err')).catch(() => [])).toEqual([]);
    },
    120_000,
  );

  it.runIf(msiParts.run)(
    'GPO kit: the repacked MSI, README steps, startup script and SHA256SUMS that sha256sum accepts',
    async () => {
      const a = agents(launcher);
      const official = await buildTestMsi(dir, 'velociraptor-v0.77.2-windows-amd64.msi', { exe: standInExe });
      const built = await a.buildInstaller(target, {
        kind: 'msi',
        outDir: join(dir, 'msi-gpo'),
        binary: { path: official },
        msi: official,
        labels: ['gpo'],
      });
      const msi = built.file.path;
      const kit = await a.gpoKit(target, { msi, dir: join(dir, 'gpo'), share: '\\\\files01\\Velociraptor$' });
      expect(kit.files.map((f) => f.name)).toEqual([
        'velociraptor-v0.77.2-windows-amd64-repacked.msi',
        'README.md',
        'install-velociraptor.ps1',
        'SHA256SUMS',
      ]);
      const { stdout } = await run('sha256sum', ['-c', 'SHA256SUMS'], { cwd: join(dir, 'gpo') });
      expect(stdout.trim().split('\n')).toHaveLength(3);
      const readme = await readFile(join(dir, 'gpo', 'README.md'), 'utf8');
      expect(readme).toContain('Computer Configuration → Policies → Software Settings');
      expect(readme).toContain('\\\\files01\\Velociraptor$\\velociraptor-v0.77.2-windows-amd64-repacked.msi');
      expect(readme).toContain('Domain Computers');
      const script = await readFile(join(dir, 'gpo', 'install-velociraptor.ps1'), 'utf8');
      expect(script).toContain(`$Expected = '${await sha256File(msi)}'`);
      const { stdout: zipList } = await run('unzip', ['-l', kit.zip?.path ?? '']);
      for (const f of kit.files) expect(zipList).toContain(f.name);
      // The MSI in the kit's ZIP is the repacked one: msiextract finds our config in it.
      await run('unzip', [
        '-q',
        kit.zip?.path ?? '',
        kit.files[0]?.name ?? '',
        '-d',
        join(dir, 'gpo-unzipped'),
      ]);
      const fromZip = await extractMsi(join(dir, 'gpo-unzipped', kit.files[0]?.name ?? ''));
      const expected = await a.agentConfigFor(target, { labels: ['gpo'] });
      expect(enrolment(fromZip.get(CONFIG_PATH)?.toString() ?? '')).toEqual(enrolment(expected.yaml));
      const notMsi: unknown = await a
        .gpoKit(target, { msi: packMe, dir: join(dir, 'gpo2') })
        .catch((e: unknown) => e);
      expect((notMsi as Error).message).toContain('is not an MSI');
    },
    120_000,
  );
});

describe.runIf(realBinary)('installers with the real Velociraptor binary', () => {
  it('deb and rpm carry our config; rpm -qip and rpm2archive read them', async () => {
    const bin = realBinary ?? '';
    const a = agents(bin);
    const expected = await a.agentConfigFor(target, { labels: ['real-kit'] });
    const deb = await a.buildInstaller(target, {
      kind: 'deb',
      outDir: join(dir, 'real'),
      binary: { path: bin },
      labels: ['real-kit'],
    });
    expect(deb.file.name).toBe('velociraptor_client_0.77.2_amd64.deb');
    expect(
      enrolment((await debFile(deb.file.path, 'etc/velociraptor/client.config.yaml')).toString()),
    ).toEqual(enrolment(expected.yaml));
    const rpm = await a.buildInstaller(target, {
      kind: 'rpm',
      outDir: join(dir, 'real'),
      binary: { path: bin },
      labels: ['real-kit'],
    });
    expect(rpm.file.name).toBe('velociraptor_client_0.77.2_x86_64.rpm');
    const { stdout: info } = await run('rpm', ['-qip', rpm.file.path]);
    expect(info).toMatch(/Name\s+: velociraptor_client/);
    const { stdout: files } = await run('rpm', ['-qlp', rpm.file.path]);
    expect(files.trim().split('\n')).toEqual([
      '/etc/velociraptor/client.config.yaml',
      '/usr/local/bin/velociraptor_client',
    ]);
    const { stdout: cfg } = await run(
      'sh',
      ['-c', 'rpm2archive - < "$1" | tar -xzO ./etc/velociraptor/client.config.yaml', 'x', rpm.file.path],
      { maxBuffer: 16 * 1024 * 1024 },
    );
    expect(enrolment(cfg)).toEqual(enrolment(expected.yaml));
    expect(enrolment(cfg).labels).toEqual(['real-kit']);
    console.log(JSON.stringify({ deb: deb.file, rpm: rpm.file }));
  }, 600_000);
  it.runIf(msiParts.ready)(
    'msi: the real binary and the simulator repack the test MSI to the same bytes',
    async () => {
      const bin = realBinary ?? '';
      const official = await buildTestMsi(dir, 'velociraptor-v0.77.2-windows-amd64.msi', { exe: standInExe });
      const request = (outDir: string) => ({
        kind: 'msi' as const,
        outDir,
        binary: { path: official },
        msi: official,
        labels: ['real-kit'],
      });
      const real = await agents(bin).buildInstaller(target, request(join(dir, 'real-msi')));
      const simulated = await agents(launcher).buildInstaller(target, request(join(dir, 'sim-msi')));
      expect(real.file.sha256).toBe(simulated.file.sha256);
      const expected = await agents(bin).agentConfigFor(target, { labels: ['real-kit'] });
      const packed = (await extractMsi(real.file.path)).get(CONFIG_PATH)?.toString() ?? '';
      expect(packed.startsWith(expected.yaml)).toBe(true);
      expect(enrolment(packed).labels).toEqual(['real-kit']);
      const refused: unknown = await agents(bin)
        .buildInstaller(target, {
          ...request(join(dir, 'real-msi-big')),
          labels: Array.from({ length: 500 }, (_, i) => `case-2026-${i}-${'x'.repeat(40)}`),
        })
        .catch((e: unknown) => e);
      expect((refused as Error).message).toMatch(
        /Insufficient space reserved in MSI file! Can not locate page \d+\./,
      );
      console.log(JSON.stringify({ msi: real.file }));
    },
    600_000,
  );
});
