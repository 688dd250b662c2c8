/**
 * The credential store against the real Secret Service (gnome-keyring). `npm test` runs this file
 * inside a private D-Bus session with an unlocked keyring (MEGARAPTOR_TEST_KEYRING=1); in CI a missing
 * keyring fails. The failure modes (no bus, locked collection, a daemon that stops answering) each run
 * in a compiled child inside a session of their own, so they never disturb the shared keyring.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, mkdir, chmod, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyringSession, onPath } from '../../../test/real-parts';
import { probeKeychain } from './keychain-probe';
import { CredentialService } from './credential-service';
import { bundleChild, type BundledChild } from './fixtures/bundle';
import { KeychainSecretStore } from './keychain-store';

const run = promisify(execFile);
const keyring = keyringSession();
const keyringPrograms = onPath(
  ['dbus-run-session', 'gnome-keyring-daemon', 'gdbus'],
  'scripts/setup-test-env.sh installs them',
);

let child: BundledChild;
let dir: string;
beforeAll(async () => {
  child = await bundleChild();
  dir = await mkdtemp(join(tmpdir(), 'megaraptor-keychain-int-'));
});
afterAll(async () => {
  await child?.cleanup();
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface ChildResult {
  ok: boolean;
  code?: string;
  message?: string;
  ms: number;
  maxLoopDelayMs: number;
}

function parseChild(stdout: string): ChildResult {
  const line = stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as ChildResult;
}

/** Runs `script` (sh) in a fresh private session bus with its own HOME; `$CHILD` is the compiled child. */
async function inOwnSession(script: string): Promise<ChildResult> {
  const home = await mkdtemp(join(dir, 'home-'));
  await mkdir(join(home, 'data'));
  await mkdir(join(home, 'run'));
  await chmod(join(home, 'run'), 0o700);
  const env = {
    ...child.env,
    HOME: home,
    XDG_DATA_HOME: join(home, 'data'),
    XDG_RUNTIME_DIR: join(home, 'run'),
    CHILD: child.file,
    NODE: process.execPath,
  };
  const setup = [
    'echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null',
    // The daemon claims its bus name asynchronously: wait for it (bounded), and learn its pid.
    'for i in $(seq 100); do PID=$(gdbus call --session --dest org.freedesktop.DBus --object-path /org/freedesktop/DBus --method org.freedesktop.DBus.GetConnectionUnixProcessID org.freedesktop.secrets 2>/dev/null | sed -E "s/^[(]uint32 ([0-9]+),[)]$/\\1/") && [ -n "$PID" ] && break; sleep 0.05; done',
  ].join('; ');
  const { stdout, stderr } = await run('dbus-run-session', ['--', 'sh', '-c', `${setup}; ${script}`], {
    env,
    timeout: 60_000,
  });
  try {
    return parseChild(stdout);
  } catch {
    throw new Error(`child printed no result; stdout: ${stdout} stderr: ${stderr}`);
  }
}

describe('keychain store: real Secret Service', () => {
  it(`runs inside ${keyring.name} (required in CI)`, () => keyring.check());

  it.runIf(keyring.run)('stores, reads, lists and deletes one entry per secret', async () => {
    const service = `megaraptor-test-${randomBytes(4).toString('hex')}`;
    const store = new KeychainSecretStore({ service, timeoutMs: 10_000 });
    await store.set('cred-a', '-----BEGIN RSA PRIVATE KEY-----\nAAA\n-----END RSA PRIVATE KEY-----\n');
    await store.set('cred-b', 'pässwörd with unicode ✓');
    expect(await store.get('cred-a')).toContain('BEGIN RSA PRIVATE KEY');
    expect(await store.get('cred-b')).toBe('pässwörd with unicode ✓');
    expect((await store.listRefs()).sort()).toEqual(['cred-a', 'cred-b']);
    await store.delete('cred-a');
    expect(await store.get('cred-a')).toBeUndefined();
    await store.delete('cred-a'); // absent: not an error
    await store.delete('cred-b');
    expect(await store.listRefs()).toEqual([]);
  });

  it.runIf(keyring.run)('CredentialService over the real keychain: add, reveal, delete, repair', async () => {
    const keychain = new KeychainSecretStore({
      service: `megaraptor-test-${randomBytes(4).toString('hex')}`,
      timeoutMs: 10_000,
    });
    const service = new CredentialService({
      indexPath: join(dir, 'svc', 'credentials.json'),
      vaultPath: join(dir, 'svc', 'vault.json'),
      keychain,
      probe: () => probeKeychain({ timeoutMs: 10_000 }),
    });
    const a = await service.add({ name: 'api client key', kind: 'private-key', secret: 'KEY-A' });
    const b = await service.add({ name: 'admin password', kind: 'password', secret: 'PW-B' });
    expect(await service.reveal(a.id, true)).toEqual({ id: a.id, value: 'KEY-A' });
    expect(await service.status()).toMatchObject({
      store: 'keychain',
      available: true,
      count: 2,
      vaultOffered: false,
    });
    // The keychain loses b; another app leaves an entry under our service name.
    await keychain.delete(b.id);
    await keychain.set('stray-entry', 'S');
    await expect(service.secret(b.id)).rejects.toMatchObject({ code: 'SECRET_MISSING' });
    const report = await service.repair({ dryRun: false });
    expect(report.findings.map((f) => `${f.kind}:${f.id}:${f.action}`).sort()).toEqual([
      `missing-secret:${b.id}:removed-from-index`,
      'orphan-secret:stray-entry:added-to-index',
    ]);
    expect((await service.list()).items.map((i) => i.id).sort()).toEqual([a.id, 'stray-entry'].sort());
    for (const id of [a.id, 'stray-entry']) expect(await service.delete(id)).toEqual({ deleted: true });
    expect(await keychain.listRefs()).toEqual([]);
  });

  it('without a D-Bus session: KEYCHAIN_UNAVAILABLE, fast, with advice', async () => {
    const env = { ...child.env };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    const { stdout } = await run(process.execPath, [child.file, 'keychain-get', 'cred-x', '5000'], {
      env,
      timeout: 30_000,
    });
    const r = parseChild(stdout);
    expect(r).toMatchObject({ ok: false, code: 'KEYCHAIN_UNAVAILABLE' });
    expect(r.message).toMatch(/DBus error/);
    expect(r.message).toMatch(/gnome-keyring-daemon/);
    expect(r.ms).toBeLessThan(5000);
  });

  it.runIf(keyringPrograms.run)('locked collection: KEYCHAIN_LOCKED within the timeout', async () => {
    const r = await inOwnSession(
      // Write first: gnome-keyring creates the login collection on first use.
      `"$NODE" "$CHILD" keychain-set warmup 3000 >/dev/null; gdbus call --session --dest org.freedesktop.secrets --object-path /org/freedesktop/secrets --method org.freedesktop.Secret.Service.Lock "['/org/freedesktop/secrets/collection/login']" >/dev/null; "$NODE" "$CHILD" keychain-set cred-x 3000`,
    );
    expect(r, JSON.stringify(r)).toMatchObject({ ok: false, code: 'KEYCHAIN_LOCKED' });
    expect(r.ms).toBeLessThan(3500);
  });

  it.runIf(keyringPrograms.run)(
    'a keyring daemon that stops answering: KEYCHAIN_LOCKED when the timeout fires',
    async () => {
      const r = await inOwnSession(
        // SIGSTOP freezes the daemon: calls hang like an unanswered unlock prompt. Resume and stop it after.
        `"$NODE" "$CHILD" keychain-set warmup 3000 >/dev/null; kill -STOP "$PID"; "$NODE" "$CHILD" keychain-set cred-x 1200; kill -CONT "$PID"; kill "$PID"; true`,
      );
      expect(r, JSON.stringify(r)).toMatchObject({ ok: false, code: 'KEYCHAIN_LOCKED' });
      expect(r.message).toMatch(/did not answer within 1200 ms/);
      expect(r.ms).toBeGreaterThanOrEqual(1190);
      expect(r.ms).toBeLessThan(2500);
      // The D-Bus wait happens on the keychain worker: the main event loop never stalls.
      expect(r.maxLoopDelayMs).toBeLessThan(300);
    },
  );
});
