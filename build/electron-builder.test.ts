/**
 * Installers cannot be built here (electron-builder downloads Electron and its tools), so CI checks
 * the configuration itself: valid against electron-builder's own JSON schema, the targets each
 * platform needs, and the Electron fuses that harden the packaged binary.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Ajv from 'ajv';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '..');
const config = JSON.parse(readFileSync(join(root, 'build', 'electron-builder.json'), 'utf8')) as Record<
  string,
  unknown
> & {
  electronFuses: Record<string, boolean>;
  linux: { target: string[] };
  mac: { target: string[] };
  win: { target: string[] };
  files: string[];
  icon: string;
};
const schema = JSON.parse(
  readFileSync(join(root, 'node_modules', 'app-builder-lib', 'scheme.json'), 'utf8'),
) as object;

// Compiling the schema takes seconds: once per file.
const check = new Ajv({ allErrors: true, strict: false }).compile(schema);

function validate(candidate: unknown) {
  const { $schema: _ignored, ...rest } = candidate as Record<string, unknown>;
  return { ok: check(rest), errors: check.errors ?? [] };
}

describe('build/electron-builder.json', () => {
  it("is valid against electron-builder's schema", () => {
    const r = validate(config);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(true);
  });

  it('the schema check can fail (a typo in a key is caught)', () => {
    expect(validate({ ...config, linuxx: {} }).ok).toBe(false);
    expect(validate({ ...config, electronFuses: { ...config.electronFuses, runAsNode: 'no' } }).ok).toBe(
      false,
    );
  });

  it('sets the hardening fuses', () => {
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
    });
    expect(config.asar).toBe(true);
  });

  it('builds AppImage + deb, dmg and nsis, with an icon that exists', () => {
    expect(config.linux.target).toEqual(expect.arrayContaining(['AppImage', 'deb']));
    expect(config.mac.target).toContain('dmg');
    expect(config.win.target).toContain('nsis');
    const icon = readFileSync(join(root, config.icon));
    expect(icon.subarray(1, 4).toString()).toBe('PNG');
    // electron-builder needs at least 512×512 to derive .icns/.ico.
    expect(icon.readUInt32BE(16)).toBeGreaterThanOrEqual(512);
    expect(icon.readUInt32BE(20)).toBeGreaterThanOrEqual(512);
  });

  it('packages the built app, not the sources', () => {
    expect(config.files).toEqual(
      expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**']),
    );
    expect(config.files.some((f) => f.startsWith('electron/') || f.startsWith('renderer/'))).toBe(false);
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string };
    expect(pkg.main).toBe('out/main/index.js');
    expect(existsSync(join(root, 'electron', 'main', 'index.ts'))).toBe(true);
  });
});
