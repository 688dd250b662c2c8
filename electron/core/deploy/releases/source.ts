/**
 * Where Velociraptor releases are listed: GitHub's releases API by default; for isolated networks a
 * mirror (any HTTPS server holding `releases.json` — GitHub's `GET /repos/{repo}/releases` answer,
 * saved as is — next to the assets, whose URLs may be absolute or relative to the mirror) and/or an
 * HTTPS proxy. A release is what the list says it is: names, sizes and URLs of its assets; which one
 * fits a target is decided from that list (assets.ts), never from the tag string.
 */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import { httpsGet, readBody, safeUrl, type HttpSettings } from './http';

export const DEFAULT_GITHUB_API = 'https://api.github.com';
export const DEFAULT_REPO = 'Velocidex/velociraptor';
/** The release the wizard offers first: the newest one this version of the app was checked against (docs/real-server-conformance.md). */
export const RECOMMENDED_RELEASE = 'v0.77.2';

export type ReleaseSourceConfig = HttpSettings &
  ({ kind: 'github'; apiBase?: string; repo?: string } | { kind: 'mirror'; baseUrl: string });

export interface ReleaseAsset {
  name: string;
  size: number;
  url: string;
}

export interface Release {
  tag: string;
  name: string;
  prerelease: boolean;
  publishedAt: string | null;
  assets: ReleaseAsset[];
}

const GithubRelease = z.object({
  tag_name: z.string(),
  name: z.string().nullable().optional(),
  draft: z.boolean().optional(),
  prerelease: z.boolean().optional(),
  published_at: z.string().nullable().optional(),
  assets: z.array(z.object({ name: z.string(), size: z.number(), browser_download_url: z.string() })),
});

export class ReleaseSource {
  constructor(readonly config: ReleaseSourceConfig = { kind: 'github' }) {}

  /** Where the list comes from (shown to the responder). */
  get listUrl(): string {
    if (this.config.kind === 'mirror')
      return new URL('releases.json', withSlash(this.config.baseUrl)).toString();
    const api = this.config.apiBase ?? DEFAULT_GITHUB_API;
    return `${api.replace(/\/$/, '')}/repos/${this.config.repo ?? DEFAULT_REPO}/releases?per_page=30`;
  }

  /** Published releases, newest first; drafts never, pre-releases only when asked. */
  async list(options: { signal?: AbortSignal; prereleases?: boolean } = {}): Promise<Release[]> {
    const url = this.listUrl;
    const res = await httpsGet(url, this.config, {
      headers: { Accept: 'application/vnd.github+json' },
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const body = await readBody(res);
    if (res.statusCode !== 200) {
      const limited = res.statusCode === 403 && res.headers['x-ratelimit-remaining'] === '0';
      throw new AppError(
        'RELEASE_UNAVAILABLE',
        limited
          ? 'GitHub refused the release list: its API rate limit is used up. Try again later, or use a mirror.'
          : `The release list at ${safeUrl(url)} answered HTTP ${res.statusCode}.`,
        { details: { url: safeUrl(url), status: res.statusCode } },
      );
    }
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (cause) {
      throw new AppError('RELEASE_UNAVAILABLE', `The release list at ${safeUrl(url)} is not JSON.`, {
        cause,
      });
    }
    const parsed = z.array(GithubRelease).safeParse(json);
    if (!parsed.success)
      throw new AppError(
        'RELEASE_UNAVAILABLE',
        `The release list at ${safeUrl(url)} is not a list of releases.`,
        {
          details: { url: safeUrl(url) },
        },
      );
    return parsed.data
      .filter((r) => !r.draft && (options.prereleases || !r.prerelease))
      .map((r) => ({
        tag: r.tag_name,
        name: r.name ?? r.tag_name,
        prerelease: r.prerelease ?? false,
        publishedAt: r.published_at ?? null,
        assets: r.assets.map((a) => ({
          name: a.name,
          size: a.size,
          url: new URL(a.browser_download_url, url).toString(),
        })),
      }))
      .sort((a, b) => (b.publishedAt ?? '').localeCompare(a.publishedAt ?? ''));
  }

  /** A release by tag, or the newest one (`latest`). */
  async find(tag: string, options: { signal?: AbortSignal } = {}): Promise<Release> {
    const releases = await this.list({ ...options, prereleases: tag !== 'latest' });
    const found = tag === 'latest' ? releases[0] : releases.find((r) => r.tag === tag || r.tag === `v${tag}`);
    if (!found)
      throw new AppError(
        'RELEASE_UNAVAILABLE',
        tag === 'latest'
          ? `No published release is listed at ${safeUrl(this.listUrl)}.`
          : `No release ${tag} is listed at ${safeUrl(this.listUrl)} (the newest 30 are listed).`,
        { details: { tag } },
      );
    return found;
  }
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}
