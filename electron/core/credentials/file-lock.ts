/**
 * A cross-process lock on a file (the app and `megaraptor mcp` both write the credential index).
 * Taken by creating `<path>` exclusively (link(2) of a filled temp file: like O_EXCL, but never
 * leaves an empty lock behind); the lock file records the owner's pid and the time. A lock
 * is stale — and broken — when its owner process no longer exists, or when it is older than
 * `staleMs` (an owner that hangs must not block everyone forever). Breaking renames the stale file
 * to a unique name first, so two waiters cannot both break it and both enter.
 */
import { randomBytes } from 'node:crypto';
import { link, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AppError } from '../../../shared/errors';

export interface LockOptions {
  /** Give up after this long; default 10 s. */
  timeoutMs?: number;
  /** A lock older than this is broken even if its pid seems alive (pid reuse, hung owner); default 30 s. */
  staleMs?: number;
  /** Poll interval while waiting; default 10 ms (jittered). */
  retryMs?: number;
}

interface LockInfo {
  pid: number;
  createdAt: number;
  token: string;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: exists but belongs to someone else — still alive.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<LockInfo>;
    if (
      typeof parsed.pid === 'number' &&
      typeof parsed.createdAt === 'number' &&
      typeof parsed.token === 'string'
    ) {
      return parsed as LockInfo;
    }
  } catch {
    // Missing or half-written (its owner was killed between create and write): judged by age below.
  }
  return undefined;
}

/** The stale lock's token (or '' when it had no readable content), or undefined when the lock is live. */
async function staleToken(path: string, staleMs: number): Promise<string | undefined> {
  const info = await readLock(path);
  if (info) return !pidAlive(info.pid) || Date.now() - info.createdAt > staleMs ? info.token : undefined;
  try {
    // Unreadable content: an owner killed between create and write. Give it a moment, then break it.
    const s = await stat(path);
    return Date.now() - s.mtimeMs > Math.min(staleMs, 2000) ? '' : undefined;
  } catch {
    return undefined; // gone already: retry the acquire
  }
}

/**
 * Moves the stale lock aside. If what we moved is not the lock we judged stale (another waiter broke
 * it and a live owner re-took it in between), put it back with link(), which never overwrites.
 */
async function breakStale(path: string, judged: string): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else broke or released it first
  }
  const moved = await readLock(aside);
  if ((moved?.token ?? '') !== judged) await link(aside, path).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
}

/**
 * Creates the lock with its content in one step: write a private temp file, then link() it to the
 * lock name (atomic, fails if the lock exists). A lock file therefore never exists empty, even when
 * its creator is killed mid-way — a killed creator leaves at most a temp file, swept by the next owner.
 */
async function tryCreate(path: string, token: string): Promise<boolean> {
  const temp = `${path}.${process.pid}.${token}.tmp`;
  await writeFile(
    temp,
    JSON.stringify({ pid: process.pid, createdAt: Date.now(), token } satisfies LockInfo),
    { mode: 0o600 },
  );
  try {
    await link(temp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Temp files of lock attempts whose process died between write and link. */
async function sweepAttempts(path: string, ownToken: string): Promise<void> {
  const dir = dirname(path);
  const prefix = `${basename(path)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const now = Date.now();
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp') || name.includes(ownToken)) continue;
    const full = join(dir, name);
    // A live process may be between its write and link: only its death or age makes the file junk.
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    const s = await stat(full).catch(() => undefined);
    if (s && ((Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) || now - s.mtimeMs > 5000))
      await unlink(full).catch(() => undefined);
  }
}

export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const retryMs = options.retryMs ?? 10;
  const token = randomBytes(8).toString('hex');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await tryCreate(path, token)) break;
    const stale = await staleToken(path, staleMs);
    if (stale !== undefined) {
      await breakStale(path, stale);
      continue;
    }
    if (Date.now() > deadline) {
      const owner = await readLock(path);
      throw new AppError(
        'TIMEOUT',
        `Another Megaraptor process holds the lock ${path}${owner ? ` (pid ${owner.pid})` : ''}. Try again when it is done.`,
        {
          details: { path, ...(owner ? { pid: owner.pid } : {}) },
        },
      );
    }
    await new Promise((r) => setTimeout(r, retryMs + Math.random() * retryMs));
  }
  await sweepAttempts(path, token);
  try {
    return await fn();
  } finally {
    // Release only our own lock: if it was broken as stale and re-taken, it is no longer ours.
    const info = await readLock(path);
    if (info?.token === token) await unlink(path).catch(() => undefined);
  }
}
