/**
 * Which asset of a release fits a target, read from the release's own asset list. Velociraptor names
 * assets `velociraptor-v<version>-<os>-<arch>[-<variant>…][.exe|.msi]` (docs/velociraptor/deployment.md#releases-and-images);
 * the asset version may differ from the tag (tag v0.6.5-2 ships v0.6.5-2 or v0.6.5 assets), so the
 * version is read from the asset name. Each asset must come with its detached `.sig`. No fallback:
 * a container needs the static musl build and never gets the glibc one instead.
 */
import { AppError } from '../../../../shared/errors';
import type { Release, ReleaseAsset } from './source';

export type ReleaseOs = 'linux' | 'windows' | 'darwin' | 'freebsd';
export type ReleaseArch = 'amd64' | 'arm64' | '386';

export interface PlatformWanted {
  os: ReleaseOs;
  arch: ReleaseArch;
  /** '' for the plain build; 'musl' for the static Linux build containers need; 'sumo-musl', 'legacy'. */
  variant: string;
  /** Windows: 'exe' (default) or 'msi'. */
  format?: 'exe' | 'msi';
}

/** The static build that runs in a minimal container image. */
export const CONTAINER_PLATFORM: PlatformWanted = { os: 'linux', arch: 'amd64', variant: 'musl' };

export interface ParsedAssetName {
  version: string;
  os: ReleaseOs;
  arch: ReleaseArch;
  variant: string;
  format: 'exe' | 'msi' | '';
}

const NAME =
  /^velociraptor-v(\d+\.\d+(?:\.\d+)?(?:-(?:rc)?\d+)?)-(linux|windows|darwin|freebsd)-(amd64|arm64|386)((?:-[a-z0-9]+)*)(\.exe|\.msi)?$/;

export function parseAssetName(name: string): ParsedAssetName | null {
  const m = NAME.exec(name);
  if (!m) return null;
  return {
    version: m[1]!,
    os: m[2] as ReleaseOs,
    arch: m[3] as ReleaseArch,
    variant: (m[4] ?? '').replace(/^-/, ''),
    format: (m[5]?.slice(1) ?? '') as 'exe' | 'msi' | '',
  };
}

export interface PickedAsset {
  asset: ReleaseAsset;
  signature: ReleaseAsset;
  version: string;
}

/** Maps Node's platform/arch to a release platform (the local lab and the user's own machine). */
export function hostPlatform(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch,
): PlatformWanted {
  const os: ReleaseOs | undefined =
    platform === 'linux'
      ? 'linux'
      : platform === 'win32'
        ? 'windows'
        : platform === 'darwin'
          ? 'darwin'
          : platform === 'freebsd'
            ? 'freebsd'
            : undefined;
  const a: ReleaseArch | undefined =
    arch === 'x64' ? 'amd64' : arch === 'arm64' ? 'arm64' : arch === 'ia32' ? '386' : undefined;
  if (!os || !a)
    throw new AppError('RELEASE_ASSET_MISSING', `Velociraptor publishes no build for ${platform}/${arch}.`, {
      details: { platform, arch },
    });
  return { os, arch: a, variant: '' };
}

export function describePlatform(p: PlatformWanted): string {
  return `${p.os}-${p.arch}${p.variant ? `-${p.variant}` : ''}${p.os === 'windows' ? `.${p.format ?? 'exe'}` : ''}`;
}

export function pickAsset(release: Release, wanted: PlatformWanted): PickedAsset {
  const format = wanted.os === 'windows' ? (wanted.format ?? 'exe') : '';
  const candidates = release.assets.filter((a) => {
    const p = parseAssetName(a.name);
    return (
      p && p.os === wanted.os && p.arch === wanted.arch && p.variant === wanted.variant && p.format === format
    );
  });
  if (candidates.length === 0) {
    const available = release.assets.map((a) => a.name).filter((n) => parseAssetName(n) !== null);
    throw new AppError(
      'RELEASE_ASSET_MISSING',
      `Release ${release.tag} has no ${describePlatform(wanted)} build. It has: ${available.join(', ') || 'no Velociraptor binaries'}.`,
      { details: { tag: release.tag, wanted: describePlatform(wanted), available } },
    );
  }
  if (candidates.length > 1)
    throw new AppError(
      'RELEASE_ASSET_MISSING',
      `Release ${release.tag} lists more than one ${describePlatform(wanted)} build (${candidates.map((c) => c.name).join(', ')}); pick the file by hand.`,
      { details: { tag: release.tag, candidates: candidates.map((c) => c.name) } },
    );
  const asset = candidates[0]!;
  const signature = release.assets.find((a) => a.name === `${asset.name}.sig`);
  if (!signature)
    throw new AppError(
      'RELEASE_SIGNATURE_INVALID',
      `Release ${release.tag} publishes no signature (${asset.name}.sig) for ${asset.name}; it cannot be verified.`,
      { details: { tag: release.tag, asset: asset.name } },
    );
  return { asset, signature, version: parseAssetName(asset.name)!.version };
}
