/**
 * What the app checks before `config repack --msi` (the binary itself exits 0 and writes nothing when
 * the MSI has no placeholder), and the command lines it runs.
 */
import { describe, expect, it } from 'vitest';
import { installerCommand, MSI_MAGIC, msiRepackProblem } from './installers';

const marker = Buffer.from('## Velociraptor client configuration. (0)\n');

describe('msiRepackProblem', () => {
  it('accepts an OLE file carrying the placeholder marker', () => {
    expect(msiRepackProblem(Buffer.concat([MSI_MAGIC, Buffer.alloc(300), marker]), 'v.msi')).toBeNull();
  });

  it('names a file that is not an MSI, and an MSI without the placeholder', () => {
    expect(msiRepackProblem(Buffer.concat([Buffer.from('MZ'), marker]), 'v.exe')).toMatch(
      /^v\.exe is not an MSI \(no OLE compound file header\)/,
    );
    expect(msiRepackProblem(Buffer.concat([MSI_MAGIC, Buffer.alloc(300)]), 'own.msi')).toMatch(
      /^own\.msi carries no Velociraptor placeholder config .*Use the official MSI of the release/,
    );
  });
});

describe('installerCommand', () => {
  const base = { configYaml: '', runBinary: 'velociraptor', outDir: '/out', binarySha256: '' };
  it('repacks into <name>-repacked.msi in the output folder', () => {
    expect(
      installerCommand({ ...base, kind: 'msi', msi: '/dl/velociraptor-v0.77.2-windows-amd64.msi' }, 'c.yaml'),
    ).toEqual([
      'config',
      'repack',
      '--msi',
      '/dl/velociraptor-v0.77.2-windows-amd64.msi',
      'c.yaml',
      '/out/velociraptor-v0.77.2-windows-amd64-repacked.msi',
    ]);
  });
  it('packs deb and rpm with the Linux binary', () => {
    expect(installerCommand({ ...base, kind: 'rpm', packBinary: '/bin/vr' }, 'c.yaml')).toEqual([
      '--config',
      'c.yaml',
      'rpm',
      'client',
      '--binary',
      '/bin/vr',
      '--output',
      '/out',
    ]);
  });
});
