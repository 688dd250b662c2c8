/**
 * Reads a config file the responder named (API client config, server config, CA key), refusing one
 * larger than MAX_CONFIG_BYTES before reading it: a real config is a few kilobytes, and a path to a
 * device, a log or a disk image must not be pulled into memory (or into a YAML parser).
 */
import { open } from 'node:fs/promises';
import { AppError } from '../../../../shared/errors';

export const MAX_CONFIG_BYTES = 1024 * 1024;

export async function readConfigFile(path: string, what = 'config file'): Promise<string> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new AppError(
      code === 'ENOENT' ? 'NOT_FOUND' : 'INVALID_ARGUMENT',
      code === 'ENOENT'
        ? `The ${what} ${path} does not exist.`
        : `The ${what} ${path} cannot be opened (${code ?? 'error'}).`,
      { cause: e },
    );
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new AppError('INVALID_ARGUMENT', `The ${what} ${path} is not a regular file.`);
    if (st.size > MAX_CONFIG_BYTES)
      throw new AppError(
        'INVALID_ARGUMENT',
        `The ${what} ${path} is ${st.size} bytes; a config is at most ${MAX_CONFIG_BYTES} bytes (1 MiB). Check the path.`,
      );
    // Read at most one byte past the limit from the open file, in case it grew after the check.
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let n = 0;
    for (;;) {
      const { bytesRead } = await fh.read(buf, n, buf.length - n, n);
      if (bytesRead === 0) break;
      n += bytesRead;
      if (n > MAX_CONFIG_BYTES)
        throw new AppError('INVALID_ARGUMENT', `The ${what} ${path} is larger than 1 MiB; check the path.`);
    }
    return buf.subarray(0, n).toString('utf8');
  } finally {
    await fh.close();
  }
}
