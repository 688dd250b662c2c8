/**
 * A test MSI shaped like Velociraptor's official one (its docs/wix template), made at run time with
 * Debian's msitools and gcab — no binary committed:
 *
 *   - Velociraptor.exe (a stand-in: bytes given by the test) in a compressed cabinet `Sample.cab`
 *     (Media 1), installed into ProgramFiles64Folder\Velociraptor with the `Velociraptor` service;
 *   - client.config.yaml, a placeholder in the official layout (placeholderConfig), alone in an
 *     UNCOMPRESSED cabinet `part2.cab` (Media 2, file key `Config`), so its bytes sit in the MSI as is.
 *
 * wixl cannot write a second medium or an uncompressed cabinet, so it builds the MSI with the exe;
 * gcab (no -z: stored) makes part2.cab; msibuild adds the Media, Component, File and
 * FeatureComponents rows and the cabinet stream. One difference from an official MSI, which Windows
 * Installer writes with 4 KiB sectors: libmsi writes 512-byte sectors, so the cabinet stream does not
 * start on a 4 KiB page. Velociraptor's repack copes (it maps pages by their markers and keeps the
 * bytes before the first marker), but the last page it rewrites may reach past the stream: the tests
 * keep configs to the pages inside it.
 *
 * Reading back: msiextract (a tool nobody here wrote). libgcab refuses a CFDATA checksum of 0 although
 * the cabinet format defines 0 as "not computed" (Windows' cabinet.dll accepts it); repacking zeroes
 * it, so extraction sets GCAB_SKIP_CHECKSUM=1, libgcab's own switch for this.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onPath, type RealPart } from '../../../../../test/real-parts';

const run = promisify(execFile);

/** The size of the official placeholder (0.77.2 docs/wix/output/client.config.yaml). */
export const PLACEHOLDER_BYTES = 23_898;

export function msiTools(): RealPart {
  return onPath(
    ['wixl', 'msibuild', 'msiextract', 'msiinfo', 'gcab'],
    'scripts/setup-test-env.sh (msitools wixl gcab)',
  );
}

/**
 * A placeholder in the official layout: `## Velociraptor client configuration. (0)` first, then
 * `## Velociraptor client configuration (0x800)`, `(0x1000)`, … written over its space padding at
 * those offsets, ending with `# End`. Not a valid config (no Client section), as upstream's is not.
 */
export function placeholderConfig(size = PLACEHOLDER_BYTES): Buffer {
  const head =
    '## Velociraptor client configuration. (0)\n!!!\n\n' +
    'Test placeholder (Megaraptor test MSI): replaced by `velociraptor config repack --msi`.\n\n';
  const tail = '# End\n\n';
  const data = Buffer.alloc(size, ' ');
  data.write(head, 0, 'latin1');
  data.write(tail, size - tail.length, 'latin1');
  for (let offset = 0x800; offset < size; offset += 0x800)
    data.write(`## Velociraptor client configuration (0x${offset.toString(16)})`, offset, 'latin1');
  return data;
}

function wxs(): string {
  return `<?xml version="1.0" encoding="windows-1252"?>
<Wix xmlns="http://schemas.microsoft.com/wix/2006/wi">
  <Product Name="Velociraptor" Manufacturer="Velocidex" Id="*"
           UpgradeCode="5C6B7E57-0D1A-4E3A-9B2C-6D2B0C1E7A11"
           Language="1033" Codepage="1252" Version="0.77.2">
    <Package Id="*" Keywords="Installer" Description="Velociraptor Service Installer (test MSI)"
             Manufacturer="Velocidex" InstallerVersion="200" Languages="1033" Compressed="yes"
             SummaryCodepage="1252" />
    <Media Id="1" Cabinet="Sample.cab" EmbedCab="yes" />
    <Directory Id="TARGETDIR" Name="SourceDir">
      <Directory Id="ProgramFiles64Folder" Name="PFiles">
        <Directory Id="INSTALLDIR" Name="Velociraptor">
          <Component Id="MainExecutable" Guid="4F0C2B8E-3C77-4F5D-A6E2-8E3B1F0D9C21" Win64="yes">
            <File Id="ServiceEXE" Name="Velociraptor.exe" DiskId="1" Source="Velociraptor.exe" KeyPath="yes" />
            <ServiceInstall Id="ServiceInstaller" Type="ownProcess" Vital="yes" Name="Velociraptor"
                            DisplayName="Velociraptor Service" Description="Velociraptor Service"
                            Start="auto" Account="LocalSystem" ErrorControl="normal" Interactive="no"
                            Arguments=' --config "[INSTALLDIR]/client.config.yaml" service run ' />
            <ServiceControl Id="StartService" Name="Velociraptor" Stop="both" Start="install"
                            Remove="uninstall" Wait="yes" />
          </Component>
        </Directory>
      </Directory>
    </Directory>
    <Feature Id="Complete" Level="1">
      <ComponentRef Id="MainExecutable" />
    </Feature>
  </Product>
</Wix>
`;
}

export interface TestMsiOptions {
  /** The stand-in Velociraptor.exe. */
  exe: Buffer;
  /** The client.config.yaml packed in part2.cab: the placeholder by default, or none at all. */
  config?: Buffer | null;
}

/** Builds `<dir>/<name>` and returns its path. */
export async function buildTestMsi(dir: string, name: string, o: TestMsiOptions): Promise<string> {
  const work = await mkdtemp(join(tmpdir(), 'mr-test-msi-'));
  try {
    await writeFile(join(work, 'Velociraptor.exe'), o.exe);
    await writeFile(join(work, 'product.wxs'), wxs());
    const msi = join(dir, name);
    await run('wixl', ['-a', 'x64', '-o', msi, join(work, 'product.wxs')], { cwd: work });
    const config = o.config === undefined ? placeholderConfig() : o.config;
    if (config === null) return msi;
    // In an MSI's cabinets each file is named by its File table key.
    await mkdir(join(work, 'cab'));
    await writeFile(join(work, 'cab', 'Config'), config);
    await run('gcab', ['-c', '-n', join(work, 'part2.cab'), 'Config'], { cwd: join(work, 'cab') });
    await run(
      'msibuild',
      [
        msi,
        '-q',
        "INSERT INTO `Media` (`DiskId`, `LastSequence`, `Cabinet`) VALUES (2, 2, '#part2.cab')",
        '-q',
        "INSERT INTO `Component` (`Component`, `ComponentId`, `Directory_`, `Attributes`, `KeyPath`) VALUES ('Config', '{0B7E5D4A-6A39-4C1E-9F83-2D5C7A1E4B60}', 'INSTALLDIR', 256, 'Config')",
        '-q',
        `INSERT INTO \`File\` (\`File\`, \`Component_\`, \`FileName\`, \`FileSize\`, \`Attributes\`, \`Sequence\`) VALUES ('Config', 'Config', 'client.config.yaml', ${config.length}, 512, 2)`,
        '-q',
        "INSERT INTO `FeatureComponents` (`Feature_`, `Component_`) VALUES ('Complete', 'Config')",
        '-a',
        'part2.cab',
        join(work, 'part2.cab'),
      ],
      { cwd: work },
    );
    return msi;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The files msiextract installs from the MSI, by path under the install root (e.g. PFiles/…). */
export async function extractMsi(msi: string): Promise<Map<string, Buffer>> {
  const out = await mkdtemp(join(tmpdir(), 'mr-msiextract-'));
  try {
    const { stdout } = await run('msiextract', ['-C', out, msi], {
      env: { ...process.env, GCAB_SKIP_CHECKSUM: '1' },
    });
    const files = new Map<string, Buffer>();
    for (const path of stdout.split('\n').filter(Boolean)) files.set(path, await readFile(join(out, path)));
    return files;
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** One MSI table as msiinfo exports it (tab-separated rows after the 3 header lines). */
export async function msiTable(msi: string, table: string): Promise<string[][]> {
  const { stdout } = await run('msiinfo', ['export', msi, table]);
  return stdout
    .split(/\r?\n/)
    .slice(3)
    .filter(Boolean)
    .map((l) => l.split('\t'));
}
