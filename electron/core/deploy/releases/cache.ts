/**
 * Velociraptor binaries the deployers may use, each with its provenance:
 * - a release asset, downloaded once into `<dataDir>/releases/<tag>/` and used only while its detached
 *   signature verifies against the pinned release key (checked again at every use: a cached file that
 *   changed is refused and fetched anew);
 * - a binary the responder already has, accepted with its sha256 shown, verified when a `.sig` lies
 *   beside it, and marked with a warning when it carries none. A `.sig` that does not verify is refused
 *   (that is evidence of tampering, not a missing signature).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError, isAppError } from '../../../../shared/errors';
import { describePlatform, parseAssetName, pickAsset, type PlatformWanted } from './assets';
import { download, type DownloadProgress } from './download';
import { VELOCIDEX_RELEASE_KEY, verifyDetached, type TrustedKey, type VerifiedSignature } from './signature';
import type { ReleaseSource } from './source';

export interface VerifiedBinary {
  path: string;
  sha256: string;
  size: number;
  origin: 'release' | 'file';
  /** From the asset name (releases) — unknown for a file. */
  version: string | null;
  tag: string | null;
  assetName: string | null;
  signature: ({ status: 'valid' } & VerifiedSignature) | { status: 'missing' };
  /** Shown before the binary is used (an unsigned file). */
  warning: string | null;
}

export interface ObtainOptions {
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress & { file: string }) => void;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const SAFE_NAME = /^[A-Za-z0-9._-]+$/;

function safeSegment(value: string, what: string): string {
  if (!SAFE_NAME.test(value) || value === '.' || value === '..')
    throw new AppError(
      'RELEASE_UNAVAILABLE',
      `The release list names a ${what} "${value}" that is not a plain file name.`,
    );
  return value;
}

export class ReleaseCache {
  private readonly trusted: TrustedKey;

  constructor(private readonly options: { dir: string; source: ReleaseSource; trustedKey?: TrustedKey }) {
    this.trusted = options.trustedKey ?? VELOCIDEX_RELEASE_KEY;
  }

  /**
   * The verified binary of release `tag` (or the newest) for `platform`: from the cache when a copy
   * there still verifies, else downloaded (resuming a partial download). Without a reachable source, a
   * cached copy of that exact tag is still used.
   */
  async obtain(tag: string, platform: PlatformWanted, options: ObtainOptions = {}): Promise<VerifiedBinary> {
    let release;
    try {
      release = await this.options.source.find(tag, options.signal ? { signal: options.signal } : {});
    } catch (e) {
      if (tag !== 'latest' && isAppError(e, 'RELEASE_UNAVAILABLE')) {
        const cached = await this.cachedCopy(tag, platform);
        if (cached) return cached;
      }
      throw e;
    }
    const picked = pickAsset(release, platform);
    const dir = join(this.options.dir, safeSegment(release.tag, 'tag'));
    const file = join(dir, safeSegment(picked.asset.name, 'file'));
    const sigFile = `${file}.sig`;
    await mkdir(dir, { recursive: true, mode: 0o700 });

    if ((await sizeOf(file)) === picked.asset.size && (await sizeOf(sigFile)) === picked.signature.size) {
      try {
        return await this.describe(file, sigFile, release.tag);
      } catch (e) {
        if (!isAppError(e, 'RELEASE_SIGNATURE_INVALID')) throw e;
        // The cached copy changed since it was verified: fetch it again.
        await rm(file, { force: true });
      }
    }
    const progress = (name: string) => (p: DownloadProgress) => options.onProgress?.({ ...p, file: name });
    await download(picked.signature.url, sigFile, this.options.source.config, {
      expectedSize: picked.signature.size,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: progress(picked.signature.name),
    });
    await download(picked.asset.url, file, this.options.source.config, {
      expectedSize: picked.asset.size,
      ...(options.signal ? { signal: options.signal } : {}),
      onProgress: progress(picked.asset.name),
    });
    try {
      return await this.describe(file, sigFile, release.tag);
    } catch (e) {
      // A file that does not verify is never kept where a later call could pick it up.
      await rm(file, { force: true });
      await rm(sigFile, { force: true });
      throw e;
    }
  }

  private async cachedCopy(tag: string, platform: PlatformWanted): Promise<VerifiedBinary | null> {
    for (const t of [tag, `v${tag}`]) {
      if (!SAFE_NAME.test(t)) continue;
      const dir = join(this.options.dir, t);
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        const p = parseAssetName(name);
        if (!p || p.os !== platform.os || p.arch !== platform.arch || p.variant !== platform.variant)
          continue;
        if (!names.includes(`${name}.sig`)) continue;
        return this.describe(join(dir, name), join(dir, `${name}.sig`), t);
      }
    }
    return null;
  }

  private async describe(file: string, sigFile: string, tag: string): Promise<VerifiedBinary> {
    const signature = await verifyDetached(file, await readFile(sigFile), this.trusted);
    await chmod(file, 0o755);
    const name = file.split(/[\\/]/).pop()!;
    return {
      path: file,
      sha256: await sha256File(file),
      size: await sizeOf(file),
      origin: 'release',
      version: parseAssetName(name)?.version ?? null,
      tag,
      assetName: name,
      signature: { status: 'valid', ...signature },
      warning: null,
    };
  }
}

/**
 * A binary the responder supplies. With `<path>.sig` (or `signaturePath`) beside it, the signature must
 * verify; without one the binary is accepted with its sha256 and a warning to compare it by hand.
 */
export async function acceptLocalBinary(
  path: string,
  options: { signaturePath?: string; trustedKey?: TrustedKey; platform?: PlatformWanted } = {},
): Promise<VerifiedBinary> {
  const info = await stat(path).catch((cause: unknown) => {
    throw new AppError('NOT_FOUND', `There is no file at ${path}.`, { cause });
  });
  if (!info.isFile()) throw new AppError('INVALID_ARGUMENT', `${path} is not a file.`);
  const sha256 = await sha256File(path);
  const sigPath = options.signaturePath ?? `${path}.sig`;
  const sig = await readFile(sigPath).catch(() => null);
  const trusted = options.trustedKey ?? VELOCIDEX_RELEASE_KEY;
  const name = path.split(/[\\/]/).pop() ?? path;
  const parsed = parseAssetName(name);
  const base = {
    path,
    sha256,
    size: info.size,
    origin: 'file' as const,
    version: parsed?.version ?? null,
    tag: null,
    assetName: parsed ? name : null,
  };
  if (!sig) {
    return {
      ...base,
      signature: { status: 'missing' },
      warning: `${name} carries no release signature (no ${sigPath.split(/[\\/]/).pop()}), so nothing proves it is Velocidex's build. Compare its SHA-256 ${sha256} with the one you trust before deploying it.`,
    };
  }
  const signature = await verifyDetached(path, sig, trusted).catch((e: unknown) => {
    throw new AppError(
      'RELEASE_SIGNATURE_INVALID',
      `${name} has a signature file that does not verify against the release key: the file may have been altered. SHA-256 ${sha256}.${isAppError(e) ? ` ${e.message}` : ''}`,
      { details: { path, sha256 }, cause: e },
    );
  });
  if (
    options.platform &&
    parsed &&
    (parsed.os !== options.platform.os || parsed.arch !== options.platform.arch)
  )
    throw new AppError(
      'RELEASE_ASSET_MISSING',
      `${name} is not a ${describePlatform(options.platform)} build.`,
    );
  return { ...base, signature: { status: 'valid', ...signature }, warning: null };
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return -1;
  }
}
