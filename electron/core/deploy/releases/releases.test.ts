/**
 * Releases end to end against a local HTTPS server (test CA) that answers like GitHub, with assets
 * signed by a key `gpg` made for this test: listing, picking by platform from the asset list,
 * download with progress into the cache, resume after a cut connection, and refusal of a bad
 * signature, a wrong asset and a truncated download.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeTestSigner, type TestSigner } from '../testing/gpg';
import { startConnectProxy, startReleaseServer, type ReleaseServer } from '../testing/release-server';
import { CONTAINER_PLATFORM, parseAssetName, pickAsset } from './assets';
import { acceptLocalBinary, ReleaseCache, sha256File } from './cache';
import { download } from './download';
import { loadTrustedKey, VELOCIDEX_RELEASE_KEY } from './signature';
import { ReleaseSource } from './source';
import { appErrorOf } from '../../../../test/app-error-of';

const MUSL = 'velociraptor-v0.77.2-linux-amd64-musl';
const GLIBC = 'velociraptor-v0.77.2-linux-amd64';
const WIN = 'velociraptor-v0.77.2-windows-amd64.exe';

let signer: TestSigner;
let other: TestSigner;
let server: ReleaseServer;
let musl: Buffer;
let dir: string;

async function signed(name: string, data: Buffer, by: TestSigner = signer): Promise<Record<string, Buffer>> {
  return { [name]: data, [`${name}.sig`]: await by.sign(data) };
}

beforeAll(async () => {
  [signer, other] = await Promise.all([
    makeTestSigner(),
    makeTestSigner('Someone Else <else@example.invalid>'),
  ]);
  musl = randomBytes(3 * 1024 * 1024 + 17);
  const glibc = randomBytes(1024);
  server = await startReleaseServer([
    {
      tag: 'v0.77.2',
      publishedAt: '2026-05-31T00:00:00Z',
      assets: {
        ...(await signed(MUSL, musl)),
        ...(await signed(GLIBC, glibc)),
        ...(await signed(WIN, randomBytes(512))),
      },
    },
    // Lists only the glibc build: a container must not get it instead of musl.
    {
      tag: 'v0.76.0',
      publishedAt: '2026-01-01T00:00:00Z',
      assets: await signed('velociraptor-v0.76.0-linux-amd64', glibc),
    },
    // Signed by a key that is not trusted.
    {
      tag: 'v0.75.1',
      publishedAt: '2025-10-01T00:00:00Z',
      assets: await signed('velociraptor-v0.75.1-linux-amd64-musl', musl, other),
    },
    // The signature belongs to other bytes than the ones served.
    {
      tag: 'v0.75.0',
      publishedAt: '2025-09-01T00:00:00Z',
      assets: {
        'velociraptor-v0.75.0-linux-amd64-musl': musl,
        'velociraptor-v0.75.0-linux-amd64-musl.sig': await signer.sign(randomBytes(64)),
      },
    },
  ]);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await signer?.cleanup();
  await other?.cleanup();
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-releases-'));
  server.requests.length = 0;
  server.ignoreRange = false;
  return () => rm(dir, { recursive: true, force: true });
});

function github(extra: Partial<{ proxy: string }> = {}): ReleaseSource {
  return new ReleaseSource({ kind: 'github', apiBase: server.url, caCertificates: server.caPem, ...extra });
}

function cache(source = github()): ReleaseCache {
  return new ReleaseCache({ dir: join(dir, 'releases'), source, trustedKey: signer.key });
}

describe('release source', () => {
  it('lists releases newest first from the GitHub API', async () => {
    const list = await github().list();
    expect(list.map((r) => r.tag)).toEqual(['v0.77.2', 'v0.76.0', 'v0.75.1', 'v0.75.0']);
    expect(list[0]!.assets.find((a) => a.name === MUSL)).toMatchObject({ size: musl.length });
    expect(server.requests[0]).toMatchObject({ path: '/repos/Velocidex/velociraptor/releases' });
  });

  it('reads a mirror (releases.json) through an HTTPS proxy', async () => {
    const proxy = await startConnectProxy();
    try {
      const source = new ReleaseSource({
        kind: 'mirror',
        baseUrl: server.url,
        caCertificates: server.caPem,
        proxy: proxy.url,
      });
      const bin = await cache(source).obtain('v0.77.2', CONTAINER_PLATFORM);
      expect(bin.sha256).toBe(await sha256File(bin.path));
      const port = new URL(server.url).port;
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(3);
      expect(new Set(proxy.tunnels)).toEqual(new Set([`127.0.0.1:${port}`]));
      expect(server.requests.map((r) => r.path)).toContain('/releases.json');
    } finally {
      await proxy.close();
    }
  });
});

describe('picking the asset from the list', () => {
  it('reads platform and version from asset names, not the tag', () => {
    expect(parseAssetName('velociraptor-v0.6.5-2-linux-amd64-musl')).toEqual({
      version: '0.6.5-2',
      os: 'linux',
      arch: 'amd64',
      variant: 'musl',
      format: '',
    });
    expect(parseAssetName('velociraptor-v0.77.2-windows-amd64.msi')?.format).toBe('msi');
    expect(parseAssetName('velociraptor-collector')).toBeNull();
  });

  it('never falls back to the glibc build for a container', async () => {
    const release = (await github().list()).find((r) => r.tag === 'v0.76.0')!;
    const err = await appErrorOf(Promise.resolve().then(() => pickAsset(release, CONTAINER_PLATFORM)));
    expect(err.code).toBe('RELEASE_ASSET_MISSING');
    expect(err.message).toMatch(/has no linux-amd64-musl build\. It has: velociraptor-v0\.76\.0-linux-amd64/);
    const err2 = await appErrorOf(cache().obtain('v0.76.0', CONTAINER_PLATFORM));
    expect(err2.code).toBe('RELEASE_ASSET_MISSING');
  });

  it('picks Windows and glibc builds by platform', async () => {
    const release = (await github().list())[0]!;
    expect(pickAsset(release, { os: 'windows', arch: 'amd64', variant: '' }).asset.name).toBe(WIN);
    expect(pickAsset(release, { os: 'linux', arch: 'amd64', variant: '' }).asset.name).toBe(GLIBC);
    expect(() => pickAsset(release, { os: 'linux', arch: 'arm64', variant: '' })).toThrow(
      /no linux-arm64 build/,
    );
  });
});

describe('the release cache', () => {
  it('downloads once with progress, verifies the signature, and reuses the verified copy', async () => {
    const progress: number[] = [];
    const c = cache();
    const bin = await c.obtain('latest', CONTAINER_PLATFORM, { onProgress: (p) => progress.push(p.done) });
    expect(bin).toMatchObject({
      origin: 'release',
      version: '0.77.2',
      tag: 'v0.77.2',
      assetName: MUSL,
      size: musl.length,
      warning: null,
      signature: { status: 'valid', fingerprint: signer.key.fingerprint },
    });
    expect(bin.sha256).toBe(await sha256File(bin.path));
    expect((await stat(bin.path)).mode & 0o111).not.toBe(0);
    expect(progress.at(-1)).toBe(musl.length);
    expect(progress.length).toBeGreaterThan(3);

    const downloads = () => server.requests.filter((r) => r.path.endsWith(MUSL)).length;
    const before = downloads();
    const again = await c.obtain('v0.77.2', CONTAINER_PLATFORM);
    expect(again.path).toBe(bin.path);
    expect(downloads()).toBe(before);
  });

  it('refuses a signature by another key and keeps nothing', async () => {
    const err = await appErrorOf(cache().obtain('v0.75.1', CONTAINER_PLATFORM));
    expect(err.code).toBe('RELEASE_SIGNATURE_INVALID');
    expect(err.message).toMatch(/does not carry a valid signature of the release key/);
    expect(await readdir(join(dir, 'releases', 'v0.75.1'))).toEqual([]);
  });

  it('refuses a file whose signature is over other bytes', async () => {
    const err = await appErrorOf(cache().obtain('v0.75.0', CONTAINER_PLATFORM));
    expect(err.code).toBe('RELEASE_SIGNATURE_INVALID');
  });

  it('refuses a truncated download, then resumes it with a Range request', async () => {
    const half = Math.floor(musl.length / 2);
    server.cutOnce(MUSL, half);
    const source = github();
    const asset = pickAsset((await source.list())[0]!, CONTAINER_PLATFORM).asset;
    const dest = join(dir, 'releases', 'v0.77.2', MUSL);
    await mkdir(join(dir, 'releases', 'v0.77.2'), { recursive: true });
    // One attempt only: the cut shows as an incomplete download and the partial file stays.
    const err = await appErrorOf(
      download(asset.url, dest, source.config, { expectedSize: asset.size, attempts: 1 }),
    );
    expect(err.code).toBe('RELEASE_DOWNLOAD_INCOMPLETE');
    // The server cut after (at most) `half` bytes: all that arrived is kept for the resume.
    const got = (err.details as { done: number }).done;
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThanOrEqual(half);
    expect(err.message).toMatch(new RegExp(`after ${got} of ${musl.length} bytes`));
    expect((await stat(`${dest}.part`)).size).toBe(got);
    await expect(stat(dest)).rejects.toMatchObject({ code: 'ENOENT' });

    server.requests.length = 0;
    const bin = await cache(source).obtain('v0.77.2', CONTAINER_PLATFORM);
    expect(bin.sha256).toBe(await sha256File(bin.path));
    expect(server.requests.filter((r) => r.path.endsWith(MUSL)).map((r) => r.range)).toEqual([
      `bytes=${got}-`,
      `bytes=${got}-`, // the redirect hop keeps the Range header
    ]);
  });

  it('resumes within one call when the connection is cut', async () => {
    server.cutOnce(MUSL, 1000);
    const bin = await cache().obtain('v0.77.2', CONTAINER_PLATFORM);
    expect(bin.size).toBe(musl.length);
    // One resumed transfer (two hops: the redirect keeps the Range header) from where the cut left it.
    const ranges = server.requests.filter((r) => r.path.endsWith(MUSL)).map((r) => r.range);
    expect(ranges).toEqual([undefined, undefined, expect.stringMatching(/^bytes=\d+-$/), ranges[2]]);
    expect(Number(/\d+/.exec(ranges[2]!)?.[0])).toBeGreaterThan(0);
  });

  it('starts over when the server ignores Range', async () => {
    server.ignoreRange = true;
    server.cutOnce(MUSL, 5000);
    const bin = await cache().obtain('v0.77.2', CONTAINER_PLATFORM);
    expect(bin.sha256).toBe(await sha256File(bin.path));
  });

  it('uses a cached copy of a pinned tag when the source is unreachable', async () => {
    await cache().obtain('v0.77.2', CONTAINER_PLATFORM);
    const offline = new ReleaseCache({
      dir: join(dir, 'releases'),
      source: new ReleaseSource({
        kind: 'github',
        apiBase: 'https://127.0.0.1:1',
        caCertificates: server.caPem,
      }),
      trustedKey: signer.key,
    });
    const bin = await offline.obtain('v0.77.2', CONTAINER_PLATFORM);
    expect(bin.signature.status).toBe('valid');
    await expect(offline.obtain('latest', CONTAINER_PLATFORM)).rejects.toMatchObject({
      code: 'RELEASE_UNAVAILABLE',
    });
  });
});

describe('keys and local binaries', () => {
  it("pins Velocidex's key by fingerprint", async () => {
    const key = await loadTrustedKey(VELOCIDEX_RELEASE_KEY);
    expect(key.getFingerprint().toUpperCase()).toBe('0572F28B4EF19A043F4CBBE0B22A7FB19CB6CFA1');
    const err = await appErrorOf(
      loadTrustedKey({ armored: signer.key.armored, fingerprint: VELOCIDEX_RELEASE_KEY.fingerprint }),
    );
    expect(err.message).toMatch(/not the pinned 0572F28B4EF19A043F4CBBE0B22A7FB19CB6CFA1; it is refused/);
  });

  it('accepts a binary the responder has: sha256 shown, warned when unsigned, refused when the signature fails', async () => {
    const path = join(dir, MUSL);
    await writeFile(path, musl);
    const unsigned = await acceptLocalBinary(path, { trustedKey: signer.key });
    expect(unsigned.signature.status).toBe('missing');
    expect(unsigned.sha256).toBe(await sha256File(path));
    expect(unsigned.warning).toMatch(new RegExp(`carries no release signature.*${unsigned.sha256}`));
    expect(unsigned.version).toBe('0.77.2');

    await writeFile(`${path}.sig`, await signer.sign(musl));
    const ok = await acceptLocalBinary(path, { trustedKey: signer.key });
    expect(ok).toMatchObject({
      warning: null,
      signature: { status: 'valid', fingerprint: signer.key.fingerprint },
    });

    await writeFile(`${path}.sig`, await other.sign(musl));
    const err = await appErrorOf(acceptLocalBinary(path, { trustedKey: signer.key }));
    expect(err.code).toBe('RELEASE_SIGNATURE_INVALID');
    expect(err.message).toMatch(/may have been altered/);
  });
});
