/**
 * The kits page's installer and GPO kit handlers: the contract's checks, the window's files handed to
 * the AgentService under their own names (and removed afterwards, whatever happened), progress then
 * the result, each build in a folder of its own in exports/agent-kits, nothing left of a failed one,
 * and a GPO kit only from an MSI the kits page built (or one sent). buildInstaller is a recording
 * stand-in (the real one runs in installers.int.test.ts and e2e/agents-kits-installers.spec.ts); the
 * GPO kit is the real writeGpoKit.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuiltInstaller } from '../../../../shared/agent-kits';
import { GpoKitBuildRequest, InstallerBuildRequest } from '../../../../shared/contracts/agents';
import { AppError } from '../../../../shared/errors';
import { UploadStore } from '../../files/index';
import type { ReleaseCache } from '../releases/cache';
import { sha256File } from '../releases/cache';
import { writeGpoKit } from './gpo-kit';
import { agentHandlers } from './handlers';
import { MSI_MAGIC } from './installers';
import { executableHeadProblem, KIT_UPLOAD_KINDS, msiHeadProblem } from './kit-uploads';
import { safeFileName } from './installer-handlers';
import type { AgentService, InstallerRequest, KitProgress } from './service';

let dir: string;
let uploads: UploadStore;
const target = { server: 'sim', org: '' };
const ctx = (owner = 'w1') => ({ owner, signal: new AbortController().signal });
const MSI = Buffer.concat([MSI_MAGIC, Buffer.from('a test MSI body')]);
const ELF = Buffer.concat([Buffer.from('7f454c46', 'hex'), Buffer.from('an executable')]);

function handlers(agents: Partial<AgentService>) {
  return agentHandlers({
    agents: agents as AgentService,
    dataDir: dir,
    uploads,
    server: () => Promise.reject(new Error('not used')),
    releases: {} as ReleaseCache,
  });
}

async function send(kind: 'msi' | 'velociraptor-binary' | 'collection', name: string, data: Buffer) {
  const { id } = await uploads.begin('w1', { kind, name, size: data.length });
  await uploads.append('w1', id, 0, data);
  return id;
}

async function drain(it: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const e of it) out.push(e);
  return out;
}

const kits = () => join(dir, 'exports', 'agent-kits');

/** Writes what Velociraptor would (a file named after the MSI) and records what it was given. */
function recordingInstaller(seen: Array<{ r: InstallerRequest; msi?: Buffer; runnerMode?: number }>) {
  return async (_t: unknown, r: InstallerRequest, o: KitProgress = {}): Promise<BuiltInstaller> => {
    seen.push({
      r,
      ...(r.msi ? { msi: await readFile(r.msi) } : {}),
      ...(r.runner ? { runnerMode: (await stat(r.runner)).mode & 0o777 } : {}),
    });
    o.onProgress?.({ step: 'binary' });
    await new Promise((res) => setTimeout(res, 5));
    o.onProgress?.({ step: `build ${r.kind}` });
    const name = r.msi
      ? `${basename(r.msi, '.msi')}-repacked.msi`
      : `velociraptor_client_0.77.2_amd64.${r.kind}`;
    const path = join(r.outDir, name);
    await writeFile(path, r.msi ? MSI : ELF);
    return {
      kind: r.kind,
      file: { path, name, bytes: (await stat(path)).size, sha256: await sha256File(path) },
      command: ['velociraptor', 'config', 'repack', '--msi', r.msi ?? '', 'client.config.yaml', path],
      binarySha256: 'b'.repeat(64),
      notes: r.kind === 'msi' ? ['Re-sign it.'] : [],
    };
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mr-installer-handlers-'));
  uploads = new UploadStore(join(dir, 'tmp', 'uploads'), {
    collection: { what: 'a collection ZIP' },
    ...KIT_UPLOAD_KINDS,
  });
});
afterEach(async () => {
  await uploads.dispose();
  await rm(dir, { recursive: true, force: true });
});

describe('the contract', () => {
  it('takes a release or an upload, defaults, and refuses what cannot be built', () => {
    expect(InstallerBuildRequest.parse({ target, kind: 'deb', source: { tag: 'v0.77.2' } })).toEqual({
      target,
      kind: 'deb',
      source: { tag: 'v0.77.2' },
      arch: 'amd64',
      labels: [],
      frontends: [],
    });
    const bad = (x: unknown) => InstallerBuildRequest.safeParse(x).success;
    expect(bad({ target, kind: 'msi', source: { tag: 'latest' }, arch: 'arm64' })).toBe(false);
    expect(bad({ target, kind: 'exe', source: { tag: 'latest' } })).toBe(false);
    expect(bad({ target, kind: 'rpm', source: { upload: '../etc/passwd' } })).toBe(false);
    expect(bad({ target, kind: 'rpm', source: { path: '/usr/bin/velociraptor' } })).toBe(false);
    expect(bad({ target, kind: 'deb', source: { tag: 'latest' }, frontends: [{ host: 'h', port: 0 }] })).toBe(
      false,
    );
    expect(GpoKitBuildRequest.safeParse({ target, msi: { path: '/x.msi' } }).success).toBe(false);
  });

  it('checks the first bytes of what the window sends', () => {
    expect(msiHeadProblem(MSI)).toBeNull();
    expect(msiHeadProblem(Buffer.from('PK\x03\x04 a zip'))).toMatch(/^is not an MSI/);
    expect(executableHeadProblem(ELF)).toBeNull();
    expect(executableHeadProblem(Buffer.from('MZ\x90\x00'))).toBeNull();
    expect(executableHeadProblem(Buffer.from('#!/bin/sh\n'))).toBeNull();
    expect(executableHeadProblem(Buffer.from('\x1f\x8b\x08 a tar.gz'))).toMatch(/^is not an executable/);
  });

  it('makes sent names safe to write', () => {
    expect(safeFileName('velociraptor-v0.77.2-windows-amd64.msi', 'x')).toBe(
      'velociraptor-v0.77.2-windows-amd64.msi',
    );
    expect(safeFileName('..\\..\\evil name.msi', 'x')).toBe('evil_name.msi');
    expect(safeFileName('...', 'velociraptor.msi')).toBe('velociraptor.msi');
  });
});

describe('agents:kit-installer', () => {
  it('repacks a sent MSI under its own name with a sent runner; progress, result, uploads removed', async () => {
    const seen: Parameters<Parameters<typeof recordingInstaller>[0]['push']>[0][] = [];
    const h = handlers({ buildInstaller: recordingInstaller(seen) });
    const msi = await send('msi', 'velociraptor-v0.77.2-windows-amd64.msi', MSI);
    const runner = await send('velociraptor-binary', 'velociraptor-v0.77.2-linux-amd64', ELF);
    const input = InstallerBuildRequest.parse({
      target,
      kind: 'msi',
      source: { upload: msi },
      runner: { upload: runner },
      labels: ['ir-2026'],
    });
    const events = await drain(h['agents:kit-installer'](input, ctx()));
    const done = events.at(-1) as {
      type: 'done';
      result: { savedTo: string; files: Array<{ sha256: string }>; command: string[] };
    };
    expect(events.slice(0, -1)).toEqual(
      expect.arrayContaining([{ type: 'progress', step: 'build msi' }]) as unknown,
    );
    expect(done.type).toBe('done');
    expect(basename(done.result.savedTo)).toBe('velociraptor-v0.77.2-windows-amd64-repacked.msi');
    expect(done.result.savedTo.startsWith(join(kits(), 'msi-'))).toBe(true);
    expect(done.result.files[0]?.sha256).toBe(await sha256File(done.result.savedTo));
    expect(seen[0]?.msi?.equals(MSI)).toBe(true);
    expect(seen[0]?.runnerMode).toBe(0o700);
    // The sent MSI's copy is gone after the build: the command names it by its file name.
    expect(done.result.command.slice(3, 5)).toEqual(['--msi', 'velociraptor-v0.77.2-windows-amd64.msi']);
    expect(seen[0]?.r.labels).toEqual(['ir-2026']);
    expect(seen[0]?.r.arch).toBeUndefined();
    expect(await readdir(uploads.dir)).toEqual([]);
    // Only the result's own folder is left in the kits folder (the work folder is gone).
    expect(await readdir(kits())).toEqual([basename(join(done.result.savedTo, '..'))]);
  });

  it('a release for deb/rpm names the tag and the arch; two builds never share a folder', async () => {
    const seen: Parameters<Parameters<typeof recordingInstaller>[0]['push']>[0][] = [];
    const h = handlers({ buildInstaller: recordingInstaller(seen) });
    const input = InstallerBuildRequest.parse({
      target,
      kind: 'rpm',
      source: { tag: 'v0.77.2' },
      arch: 'arm64',
    });
    const a = (await drain(h['agents:kit-installer'](input, ctx()))).at(-1) as {
      result: { savedTo: string };
    };
    const b = (await drain(h['agents:kit-installer'](input, ctx()))).at(-1) as {
      result: { savedTo: string };
    };
    expect(seen.map((s) => [s.r.binary, s.r.arch, s.r.msi])).toEqual([
      [{ tag: 'v0.77.2' }, 'arm64', undefined],
      [{ tag: 'v0.77.2' }, 'arm64', undefined],
    ]);
    expect(a.result.savedTo).not.toBe(b.result.savedTo);
  });

  it('a failed build leaves nothing behind and says why; a wrong upload kind is refused', async () => {
    const h = handlers({
      buildInstaller: () =>
        Promise.reject(new AppError('DEPLOY_FAILED', 'Velociraptor could not build the msi: boom.')),
    });
    const msi = await send('msi', 'v.msi', MSI);
    const input = InstallerBuildRequest.parse({ target, kind: 'msi', source: { upload: msi } });
    const e = await drain(h['agents:kit-installer'](input, ctx())).catch((x: unknown) => x);
    expect((e as AppError).code).toBe('DEPLOY_FAILED');
    expect(await readdir(kits())).toEqual([]);
    expect(await readdir(uploads.dir)).toEqual([]);

    const notBinary = await send('msi', 'v.msi', MSI);
    const runner = await send('velociraptor-binary', 'velociraptor', ELF);
    const wrong = InstallerBuildRequest.parse({
      target,
      kind: 'deb',
      source: { upload: notBinary },
      runner: { upload: runner },
    });
    const w = await drain(h['agents:kit-installer'](wrong, ctx())).catch((x: unknown) => x);
    expect((w as AppError).message).toBe('v.msi was not sent as a Velociraptor executable.');
    expect(await readdir(uploads.dir)).toEqual([]);

    await expect(send('msi', 'photos.zip', Buffer.from('PK\x03\x04zip'))).rejects.toThrow(
      /^photos\.zip is not an MSI/,
    );
  });
});

describe('agents:kit-gpo', () => {
  const gpoKit = (): Partial<AgentService> => ({
    gpoKit: (_t, r) => writeGpoKit({ ...r, serverUrls: ['https://vr.example:8000/'] }),
  });

  it('from the MSI the page built: folder + ZIP in exports/agent-kits, every file with its sha256', async () => {
    const built = join(kits(), 'msi-x');
    await mkdir(built, { recursive: true });
    await writeFile(join(built, 'v-repacked.msi'), MSI);
    const h = handlers(gpoKit());
    const input = GpoKitBuildRequest.parse({
      target,
      msi: { built: join(built, 'v-repacked.msi') },
      share: '\\\\files01\\Velociraptor$',
    });
    const events = await drain(h['agents:kit-gpo'](input, ctx()));
    const done = events.at(-1) as {
      result: {
        savedTo: string;
        folder: string;
        files: Array<{ name: string; sha256: string; path: string }>;
      };
    };
    expect(done.result.savedTo).toBe(`${done.result.folder}.zip`);
    expect(done.result.folder.startsWith(join(kits(), 'gpo-kit-'))).toBe(true);
    expect(done.result.files.map((f) => f.name)).toEqual([
      'v-repacked.msi',
      'README.md',
      'install-velociraptor.ps1',
      'SHA256SUMS',
    ]);
    for (const f of done.result.files) expect(f.sha256).toBe(await sha256File(f.path));
    expect(await readFile(join(done.result.folder, 'README.md'), 'utf8')).toContain(
      '\\\\files01\\Velociraptor$\\v-repacked.msi',
    );
  });

  it('takes a sent MSI under its name; refuses files outside the kits folder and bad shares', async () => {
    const h = handlers(gpoKit());
    const sent = await send('msi', 'signed.msi', MSI);
    const ok = (
      await drain(h['agents:kit-gpo'](GpoKitBuildRequest.parse({ target, msi: { upload: sent } }), ctx()))
    ).at(-1) as { result: { files: Array<{ name: string }> } };
    expect(ok.result.files[0]?.name).toBe('signed.msi');
    expect(await readdir(uploads.dir)).toEqual([]);

    const outside = join(dir, 'elsewhere.msi');
    await writeFile(outside, MSI);
    const refuse = (built: string) =>
      drain(h['agents:kit-gpo'](GpoKitBuildRequest.parse({ target, msi: { built } }), ctx())).catch(
        (x: unknown) => x as AppError,
      );
    expect(await refuse(outside)).toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await refuse(join(kits(), '..', '..', 'elsewhere.msi'))).toMatchObject({
      code: 'INVALID_ARGUMENT',
    });
    expect(await refuse(join(kits(), 'gone.msi'))).toMatchObject({ code: 'NOT_FOUND' });

    const again = await send('msi', 'signed.msi', MSI);
    const bad = await drain(
      h['agents:kit-gpo'](
        GpoKitBuildRequest.parse({ target, msi: { upload: again }, share: 'C:\\share' }),
        ctx(),
      ),
    ).catch((x: unknown) => x as AppError);
    expect(bad).toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Nothing of the refused kit is left: only the one kit that worked (folder + ZIP).
    expect((await readdir(kits())).filter((n) => n.startsWith('gpo-kit-'))).toHaveLength(2);
  });
});
