/**
 * What a returned collection is, read from its ZIP: the simulator's collection (the real layout),
 * X509 and PGP containers, upstream's password container (real and simulated), a re-zipped collection
 * with its entries encrypted, and files that are not collections.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, asError } from '../../../../shared/errors';
import { buildZip, passwordContainer } from '../../files/index';
import { writeStandInCollection } from '../../sim/index';
import { collectionHeadProblem, inspectCollectionZip } from './collection-zip';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mr-collzip-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function file(name: string, data: Buffer): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, data);
  return p;
}

async function refusal(path: string): Promise<AppError> {
  const e: unknown = await inspectCollectionZip(path, 'Returned.zip').then(
    () => new Error('accepted'),
    (x: unknown) => x,
  );
  if (!(e instanceof AppError)) throw asError(e);
  return e;
}

/** Sets the "encrypted" flag of every entry, as a ZIP written with a password has it. */
function markEncrypted(zip: Buffer): Buffer {
  const out = Buffer.from(zip);
  for (let i = 0; i + 4 <= out.length; i++) {
    const sig = out.readUInt32LE(i);
    if (sig === 0x04034b50) out.writeUInt16LE(out.readUInt16LE(i + 6) | 1, i + 6);
    if (sig === 0x02014b50) out.writeUInt16LE(out.readUInt16LE(i + 8) | 1, i + 8);
  }
  return out;
}

const container = (scheme: string) =>
  buildZip([
    { name: 'metadata.json', data: Buffer.from(JSON.stringify([{ Scheme: scheme, EncryptedPass: 'x' }])) },
    { name: 'data.zip', data: Buffer.from('encrypted bytes') },
  ]);

describe('inspectCollectionZip', () => {
  it('reads the simulator’s collection: entries and the host it came from', async () => {
    const zip = await writeStandInCollection(
      { OS: 'Linux', artifacts: '["Generic.Client.Info"]' },
      { outDir: dir, hostname: 'isolated-db02' },
    );
    const info = await inspectCollectionZip(zip);
    expect(info).toEqual({
      entries: expect.any(Number) as number,
      encryption: 'none',
      hostname: 'isolated-db02',
    });
    expect(info.entries).toBeGreaterThanOrEqual(4);
  });

  it('accepts an X509 container (the server decrypts it) and refuses PGP', async () => {
    expect(await inspectCollectionZip(await file('x509.zip', container('X509')))).toEqual({
      entries: 2,
      encryption: 'x509',
      hostname: '',
      x509: { publicKey: '', encryptedPass: 'x' },
    });
    const pgp = await refusal(await file('pgp.zip', container('PGP')));
    expect(pgp.details).toMatchObject({ reason: 'encrypted', scheme: 'pgp' });
    expect(pgp.message).toContain('Returned.zip is a collection encrypted with pgp');
  });

  it('recognises upstream’s password container (data.zip alone, encrypted)', async () => {
    const real = join(__dirname, 'fixtures', 'vr-0.77.2-password-collection.zip');
    expect(await inspectCollectionZip(real)).toEqual({ entries: 1, encryption: 'password', hostname: '' });
    const inner = buildZip([{ name: 'collection_context.json', data: Buffer.from('{}') }]);
    expect(await inspectCollectionZip(await file('sim-pw.zip', passwordContainer(inner, 'p')))).toMatchObject(
      {
        encryption: 'password',
      },
    );
  });

  it('refuses a collection whose own files are encrypted (re-zipped with a password)', async () => {
    const plain = buildZip([
      { name: 'collection_context.json', data: Buffer.from('{"session_id":"F.1"}') },
      { name: 'results/Generic.Client.Info%2FBasicInformation.json', data: Buffer.from('{}\n') },
    ]);
    const e = await refusal(await file('password.zip', markEncrypted(plain)));
    expect(e.details).toMatchObject({ reason: 'encrypted', scheme: 'zip-entries' });
    expect(e.message).toContain('has its files encrypted one by one');
  });

  it('says what a file is when it is not a collection', async () => {
    const notZip = await refusal(await file('notes.txt', Buffer.from('hello, this is not a zip at all')));
    expect(notZip.details).toMatchObject({ reason: 'not-zip' });
    expect(notZip.message).toBe(
      'Returned.zip is not a ZIP: give the Collection-<host>-<time>.zip the offline collector wrote.',
    );
    const other = await refusal(
      await file('other.zip', buildZip([{ name: 'readme.txt', data: Buffer.from('x') }])),
    );
    expect(other.details).toMatchObject({ reason: 'not-collection' });
    const hunt = await refusal(
      await file('hunt.zip', buildZip([{ name: 'hunt_info.json', data: Buffer.from('{}') }])),
    );
    expect(hunt.details).toMatchObject({ reason: 'hunt-export' });
    // A ZIP cut short: its end record is gone.
    const whole = buildZip([{ name: 'collection_context.json', data: Buffer.from('{}') }]);
    const cut = await refusal(await file('cut.zip', whole.subarray(0, whole.length - 10)));
    expect(cut.details).toMatchObject({ reason: 'not-zip' });
    expect((await refusal(join(dir, 'none.zip'))).code).toBe('NOT_FOUND');
  });

  it('judges the first bytes of an upload', () => {
    expect(collectionHeadProblem(Buffer.from('PK\x03\x04rest', 'latin1'))).toBeNull();
    expect(collectionHeadProblem(Buffer.from('%PDF-1.7'))).toContain('is not a ZIP');
  });
});
