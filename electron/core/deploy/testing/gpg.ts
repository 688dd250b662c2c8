/**
 * A release signing key of the test's own, made by the real `gpg` in a temp GNUPGHOME: its armored
 * public key and fingerprint stand in for Velocidex's, and `sign` makes detached binary signatures
 * exactly as `gpg --detach-sign` does for Velociraptor's `.sig` files.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { TrustedKey } from '../releases/signature';

const run = promisify(execFile);

export interface TestSigner {
  key: TrustedKey;
  sign(data: Buffer): Promise<Buffer>;
  cleanup(): Promise<void>;
}

export async function makeTestSigner(
  uid = 'Megaraptor Test Release Key <release-test@example.invalid>',
): Promise<TestSigner> {
  const home = await mkdtemp(join(tmpdir(), 'megaraptor-gnupg-'));
  const env = { ...process.env, GNUPGHOME: home };
  await run(
    'gpg',
    [
      '--batch',
      '--pinentry-mode',
      'loopback',
      '--passphrase',
      '',
      '--quick-gen-key',
      uid,
      'rsa2048',
      'sign',
      'never',
    ],
    { env },
  );
  const { stdout: colons } = await run('gpg', ['--batch', '--with-colons', '--fingerprint'], { env });
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(colons)?.[1];
  if (!fingerprint) throw new Error(`gpg made no key:\n${colons}`);
  const { stdout: armored } = await run('gpg', ['--batch', '--armor', '--export', fingerprint], { env });
  let n = 0;
  return {
    key: { armored, fingerprint },
    async sign(data) {
      const file = join(home, `data-${n++}`);
      await writeFile(file, data);
      await run(
        'gpg',
        [
          '--batch',
          '--yes',
          '--pinentry-mode',
          'loopback',
          '--passphrase',
          '',
          '--local-user',
          fingerprint,
          '--detach-sign',
          '-o',
          `${file}.sig`,
          file,
        ],
        { env },
      );
      return readFile(`${file}.sig`);
    },
    async cleanup() {
      await run('gpgconf', ['--kill', 'gpg-agent'], { env }).catch(() => undefined);
      await rm(home, { recursive: true, force: true });
    },
  };
}
