/**
 * Downloads one file into `<dest>.part` with progress, resuming a partial file with an HTTP Range
 * request (a server that ignores it answers 200 and the file starts over). The file gets its final
 * name only when exactly the expected number of bytes arrived; a cut connection leaves the `.part`
 * for the next attempt, which continues where it stopped.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { AppError, isAppError } from '../../../../shared/errors';
import { httpsGet, safeUrl, type HttpSettings } from './http';

export interface DownloadProgress {
  done: number;
  total: number;
  /** Bytes that were already there from an earlier attempt. */
  resumedFrom: number;
}

export interface DownloadOptions {
  expectedSize: number;
  signal?: AbortSignal;
  onProgress?: (p: DownloadProgress) => void;
  /** Attempts in one call (each resumes the previous one's bytes); default 3. */
  attempts?: number;
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

async function attempt(
  url: string,
  dest: string,
  settings: HttpSettings,
  options: DownloadOptions,
): Promise<void> {
  const part = `${dest}.part`;
  let have = await sizeOf(part);
  if (have > options.expectedSize) {
    await rm(part, { force: true });
    have = 0;
  }
  if (have === options.expectedSize && have > 0) {
    await rename(part, dest);
    return;
  }
  const res = await httpsGet(url, settings, {
    headers: have > 0 ? { Range: `bytes=${have}-` } : {},
    ...(options.signal ? { signal: options.signal } : {}),
  });
  let offset: number;
  if (res.statusCode === 206) {
    const m = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
    if (!m || Number(m[1]) !== have) {
      res.resume();
      await rm(part, { force: true });
      throw new AppError(
        'RELEASE_DOWNLOAD_INCOMPLETE',
        `${safeUrl(url)} resumed at the wrong offset; starting over.`,
        {
          details: { url: safeUrl(url), expected: have, contentRange: res.headers['content-range'] },
        },
      );
    }
    offset = have;
  } else if (res.statusCode === 200) {
    offset = 0;
  } else {
    res.resume();
    throw new AppError('RELEASE_UNAVAILABLE', `${safeUrl(url)} answered HTTP ${res.statusCode}.`, {
      details: { url: safeUrl(url), status: res.statusCode },
    });
  }
  let done = offset;
  const resumedFrom = offset;
  options.onProgress?.({ done, total: options.expectedSize, resumedFrom });
  // Written chunk by chunk and closed (flushed) whatever happens, so every byte that arrived before a
  // cut is on disk for the next attempt to resume from.
  const out = createWriteStream(part, { flags: offset > 0 ? 'a' : 'w', mode: 0o600 });
  let failure: unknown;
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (done + chunk.length > options.expectedSize) {
        res.destroy();
        // Not the file the release lists: no retry, and the bytes so far are dropped below.
        throw new AppError(
          'RELEASE_UNAVAILABLE',
          `${safeUrl(url)} sent more bytes than the release lists; refused.`,
          {
            details: { url: safeUrl(url), expected: options.expectedSize, status: res.statusCode },
          },
        );
      }
      done += chunk.length;
      if (!out.write(chunk)) await once(out, 'drain');
      options.onProgress?.({ done, total: options.expectedSize, resumedFrom });
    }
  } catch (e) {
    failure = e;
  }
  await new Promise<void>((resolve, reject) => {
    out.once('error', reject);
    out.end(resolve);
  });
  if (failure !== undefined) {
    if (options.signal?.aborted)
      throw new AppError('CANCELLED', 'The download was cancelled.', { cause: failure });
    if (isAppError(failure)) {
      await rm(part, { force: true });
      throw failure;
    }
    throw new AppError(
      'RELEASE_DOWNLOAD_INCOMPLETE',
      `The download of ${safeUrl(url)} broke off after ${done} of ${options.expectedSize} bytes; it resumes from there.`,
      { details: { url: safeUrl(url), done, total: options.expectedSize }, cause: failure },
    );
  }
  if (done !== options.expectedSize)
    throw new AppError(
      'RELEASE_DOWNLOAD_INCOMPLETE',
      `The download of ${safeUrl(url)} ended after ${done} of ${options.expectedSize} bytes; it resumes from there.`,
      { details: { url: safeUrl(url), done, total: options.expectedSize } },
    );
  await rename(part, dest);
}

/** Downloads `url` to `dest` (resuming `<dest>.part`), retrying broken transfers. */
export async function download(
  url: string,
  dest: string,
  settings: HttpSettings,
  options: DownloadOptions,
): Promise<void> {
  const attempts = options.attempts ?? 3;
  for (let i = 1; ; i++) {
    try {
      await attempt(url, dest, settings, options);
      return;
    } catch (e) {
      // Broken transfers and unreachable hosts are retried; an HTTP error or a wrong file is not.
      const retriable =
        isAppError(e, 'RELEASE_DOWNLOAD_INCOMPLETE') ||
        (isAppError(e, 'RELEASE_UNAVAILABLE') && e.details?.status === undefined);
      if (!retriable || i >= attempts || options.signal?.aborted) throw e;
    }
  }
}
