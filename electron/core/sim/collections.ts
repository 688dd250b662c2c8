/**
 * Offline collections in the layout a real 0.77.2 collector writes (checked by listing one made by
 * `velociraptor artifacts collect … --output`): `client_info.json` (Hostname, HostID, OS, Fqdn …),
 * `collection_context.json` (session_id, request, total_collected_rows, artifacts_with_results,
 * state 2), `requests.json`, `log.json` (JSON lines), and per source `results/<Artifact>%2F<Source>.json`
 * (JSON lines; `/` escaped as the collector's zip accessor does) — plus `uploads.json` when files were
 * uploaded. The `.json.index` files the real one adds are not written (ImportCollection does not read
 * them).
 *
 * SIMULATOR-ONLY: `runStandInCollector` plays the collector the simulator's CreateCollector wrote (a
 * STAND-IN text file, not a program): it reads the parameters recorded in it and writes such a ZIP
 * with generated rows. Built with the Password scheme, it writes upstream's password container (one
 * `data.zip`, WinZip AES-256, as reporting/container.go); built with X509 and an explicit certificate,
 * the X509 container (metadata.json with the RSA-OAEP-encrypted session password + data.zip). X509
 * without a certificate (the real one uses the server's frontend certificate) and PGP collectors are
 * written UNENCRYPTED (its ImportCollection refuses `metadata.json` + `data.zip`: it holds no frontend
 * key to decrypt with, with a log that says so). Its ImportCollection cannot open a password
 * container, as the real one cannot (the artifact takes no password), and logs the real line.
 */
import { constants, publicEncrypt, randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { findArtifact } from './dataset/artifacts';
import { AGENT_VERSION, type ClientOs, type ClientRecord } from './dataset/clients';
import { generateArtifactResults } from './dataset/triage-rows';
import { versionProfile } from './version';
import type { Row } from './vql/values';
import { buildZip, passwordContainer, readZipEntries } from '../files/index';

/** What an imported collection carries, parsed from its ZIP. */
export interface ParsedCollection {
  hostname: string;
  hostId: string;
  clientId: string;
  os: string;
  fqdn: string;
  sessionId: string;
  artifacts: string[];
  createUs: number;
  results: Map<string, Row[]>;
  logs: Row[];
  uploadedFiles: number;
  uploadedBytes: number;
}

const jsonLines = (b: Buffer | undefined): Row[] =>
  (b?.toString('utf8') ?? '')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Row);

const text = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Parses a collection ZIP; throws with the reason ImportCollection logs. A password container (one
 * encrypted data.zip) has no collection_context.json at its top, which is what the real server says:
 * Server.Utils.ImportCollection cannot be given a password (docs/velociraptor/offline-collector-encryption.md).
 */
export function parseCollection(zip: Buffer): ParsedCollection {
  const entries = readZipEntries(zip);
  // An X509 container: the simulator holds no frontend key, so it answers as the real server does for
  // a container encrypted to a certificate it has no key for (checked on 0.77.2).
  if (entries.has('metadata.json') && entries.has('data.zip'))
    throw new Error('Unable to extract zip password: crypto/rsa: decryption error');
  const ctxRaw = entries.get('collection_context.json');
  if (!ctxRaw)
    throw new Error(
      'unable to load collection_context: Zip: NotFoundError: {"Path":"/collection_context.json"}.',
    );
  const ctx = JSON.parse(ctxRaw.toString('utf8')) as Row;
  const info = entries.has('client_info.json')
    ? (JSON.parse(entries.get('client_info.json')?.toString('utf8') ?? '{}') as Row)
    : {};
  const withResults = Array.isArray(ctx.artifacts_with_results) ? ctx.artifacts_with_results.map(String) : [];
  const results = new Map<string, Row[]>();
  for (const name of withResults)
    results.set(name, jsonLines(entries.get(`results/${name.replace(/\//g, '%2F')}.json`)));
  const uploads = jsonLines(entries.get('uploads.json'));
  const request = (ctx.request ?? {}) as Row;
  const get = (k: string): string => {
    const key = Object.keys(info).find((x) => x.toLowerCase() === k.toLowerCase());
    return key ? text(info[key]) : '';
  };
  return {
    hostname: get('hostname'),
    hostId: get('HostID'),
    clientId: get('client_id'),
    os: get('OS'),
    fqdn: get('Fqdn'),
    sessionId: text(ctx.session_id),
    artifacts: Array.isArray(request.artifacts) ? request.artifacts.map(String) : [],
    createUs: typeof ctx.create_time === 'number' ? Math.floor(ctx.create_time / 1000) : 0,
    results,
    logs: jsonLines(entries.get('log.json') ?? entries.get('logs.json')),
    uploadedFiles: uploads.length,
    uploadedBytes: uploads.reduce((n, u) => n + (typeof u.file_size === 'number' ? u.file_size : 0), 0),
  };
}

/** The parameters the simulator's CreateCollector recorded in its stand-in file. */
export function standInParameters(content: string): Record<string, string> | null {
  if (!content.includes('STAND-IN')) return null;
  const line = /^Parameters: (.*)$/m.exec(content)?.[1];
  return line ? (JSON.parse(line) as Record<string, string>) : null;
}

const COLLECTOR_OS: Record<string, ClientOs> = {
  Windows: 'windows',
  Windows_x86: 'windows',
  Linux: 'linux',
  MacOS: 'darwin',
  MacOSArm: 'darwin',
  Generic: 'linux',
};

/**
 * Runs a stand-in collector "on" a host named `hostname`: writes `Collection-<host>-<time>.zip` into
 * `outDir` (or opt_output_directory) and returns its path.
 */
export async function runStandInCollector(
  collectorPath: string,
  options: { outDir: string; hostname: string; nowMs?: number; hostId?: string },
): Promise<string> {
  const params = standInParameters(await readFile(collectorPath, 'utf8'));
  if (!params) throw new Error(`${collectorPath} is not a collector the Megaraptor simulator wrote`);
  return writeStandInCollection(params, options);
}

/**
 * The collection a stand-in collector with these CreateCollector parameters (OS, artifacts as a JSON
 * list, parameters, opt_output_directory) writes: for tests that need a returned collection without
 * building a collector first.
 */
export async function writeStandInCollection(
  params: Record<string, string>,
  options: { outDir: string; hostname: string; nowMs?: number; hostId?: string },
): Promise<string> {
  const nowMs = options.nowMs ?? Date.now();
  const os = COLLECTOR_OS[params.OS ?? 'Windows'] ?? 'windows';
  const hostId = options.hostId ?? randomUUID();
  const client: ClientRecord = {
    client_id: `C.${hostId.split('-')[0] ?? ''}`,
    hostname: options.hostname,
    fqdn: options.hostname,
    os,
    release:
      os === 'windows' ? 'Microsoft Windows 10 Enterprise 22H2' : os === 'darwin' ? '14.4.1' : 'debian 12.5',
    machine: 'x86_64',
    mac_addresses: [],
    first_seen_at: Math.floor(nowMs / 1000),
    offline_last_seen_us: null,
    last_ip: '',
    labels: [],
    last_label_timestamp: 0,
    last_interrogate_flow_id: '',
    agent_version: AGENT_VERSION,
  };
  const artifacts = JSON.parse(params.artifacts ?? '[]') as string[];
  const perArtifact = JSON.parse(params.parameters ?? '{}') as Record<string, Record<string, string>>;
  const sessionId = `F.${hostId.replace(/-/g, '').slice(0, 13).toUpperCase()}`;
  const results = new Map<string, Row[]>();
  const logs: Row[] = [];
  const ts = Math.floor(nowMs / 1000);
  for (const name of artifacts) {
    const def = findArtifact(name);
    if (!def) continue;
    logs.push({ _ts: ts, client_time: ts, level: 'DEFAULT', message: `Starting collection of ${name}\n` });
    const gen = generateArtifactResults(
      def,
      client,
      perArtifact[name] ?? {},
      sessionId,
      nowMs,
      versionProfile(),
    );
    for (const [key, rows] of gen.results) results.set(key, rows);
  }
  const withResults = [...results].filter(([, rows]) => rows.length > 0).map(([k]) => k);
  const total = withResults.reduce((n, k) => n + (results.get(k)?.length ?? 0), 0);
  const jsonl = (rows: Row[]): Buffer => Buffer.from(rows.map((r) => JSON.stringify(r) + '\n').join(''));
  const entries = [
    ...[...results].map(([k, rows]) => ({
      name: `results/${k.replace(/\//g, '%2F')}.json`,
      data: jsonl(rows),
    })),
    { name: 'log.json', data: jsonl(logs) },
    {
      name: 'collection_context.json',
      data: Buffer.from(
        JSON.stringify(
          {
            session_id: sessionId,
            request: { artifacts, specs: artifacts.map((a) => ({ artifact: a, parameters: {} })) },
            create_time: nowMs * 1_000_000,
            total_collected_rows: total,
            total_logs: logs.length,
            state: 2,
            artifacts_with_results: withResults,
          },
          null,
          1,
        ),
      ),
    },
    { name: 'requests.json', data: Buffer.from('{"items":[]}') },
    {
      name: 'client_info.json',
      data: Buffer.from(
        JSON.stringify(
          {
            Hostname: options.hostname,
            OS: os,
            Fqdn: options.hostname,
            HostID: hostId,
            Architecture: 'amd64',
            Name: 'velociraptor (Megaraptor simulator stand-in collector)',
          },
          null,
          1,
        ),
      ),
    },
  ];
  const stamp = new Date(nowMs).toISOString().replace(/[-:]/g, '').replace(/\..*$/, 'Z');
  const out = join(
    params.opt_output_directory || options.outDir,
    `Collection-${options.hostname}-${stamp}.zip`,
  );
  const plain = buildZip(entries, new Date(nowMs));
  const password = collectorPassword(params);
  const certificate = collectorCertificate(params);
  await writeFile(
    out,
    password !== null
      ? passwordContainer(plain, password)
      : certificate !== null
        ? x509Container(plain, certificate)
        : plain,
  );
  return out;
}

function encryptionArgs(params: Record<string, string>): Record<string, unknown> {
  try {
    const v = JSON.parse(params.encryption_args ?? '{}') as unknown;
    return v && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** The certificate an X509 collector built with an explicit `public_key` encrypts to (null: none). */
function collectorCertificate(params: Record<string, string>): string | null {
  if (!/x509/i.test(params.encryption_scheme ?? '')) return null;
  const cert = encryptionArgs(params).public_key;
  return typeof cert === 'string' && cert.includes('-----BEGIN CERTIFICATE-----') ? cert : null;
}

/**
 * As CreateCollector's VQL: a random session password (25 random bytes as hex), RSA-OAEP-SHA512
 * encrypted to the certificate's key (pk_encrypt), in metadata.json's one row with Scheme and PublicKey.
 */
function x509Container(plain: Buffer, certificate: string): Buffer {
  const session = randomBytes(25).toString('hex');
  const encrypted = publicEncrypt(
    {
      key: new X509Certificate(certificate).publicKey,
      oaepHash: 'sha512',
      padding: constants.RSA_PKCS1_OAEP_PADDING,
    },
    Buffer.from(session),
  );
  const metadata = [{ EncryptedPass: encrypted.toString('base64'), Scheme: 'X509', PublicKey: certificate }];
  return passwordContainer(plain, session, Buffer.from(JSON.stringify(metadata, null, 1)));
}

/**
 * The ZIP password a collector built with these parameters protects its collection with (null: none).
 * As CreateCollector's own VQL: the scheme matches "password" (case-insensitive) and the password is
 * encryption_args.password; an empty one means no protection (reporting.NewContainer).
 */
function collectorPassword(params: Record<string, string>): string | null {
  if (!/password/i.test(params.encryption_scheme ?? '')) return null;
  const password = encryptionArgs(params).password;
  return typeof password === 'string' && password !== '' ? password : null;
}
