/**
 * Opening SSH connections: each hop's host key checked (host-keys.ts) before anything is sent, the
 * login by key file (passphrase from the keychain), ssh-agent, or password (from the keychain), and
 * jump hosts chained like `ssh -J`: the next hop's TCP stream is a channel of the previous one.
 * Secrets are read from the SecretStore at the moment they are needed and handed to ssh2 only.
 */
import type { Duplex } from 'node:stream';
import { Client, type ConnectConfig } from 'ssh2';
import { AppError, isAppError } from '../../../../shared/errors';
import type { SecretStore } from '../../credentials/index';
import { SshConnection } from './connection';
import { connectError } from './errors';
import { readPrivateKey } from './private-key';
import type { ConfirmHostKey, HostKeyStore, PresentedHostKey } from './host-keys';
import { blobKeyType, fingerprintOf } from './known-hosts';
import { SshTarget, describeHop, type SshHop, type SshTargetInput } from './target';

export interface SshDeps {
  secrets: SecretStore;
  hostKeys: HostKeyStore;
  /** Asks the responder about a key never seen before; without it such a key is refused (SSH_HOST_KEY_UNKNOWN). */
  confirmHostKey?: ConfirmHostKey;
  /** Handshake deadline per hop; default 20 s. */
  readyTimeoutMs?: number;
  /** Where ssh-agent listens when the target names none; default SSH_AUTH_SOCK. */
  agentSocket?: string;
}

/** ssh2's host-key algorithms in its own order of preference. */
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
] as const;

/** Algorithms for the key types already known for a host first, as OpenSSH orders them. */
export function hostKeyAlgorithms(knownTypes: readonly string[]): string[] {
  const wanted = (alg: string): boolean =>
    knownTypes.some((t) => t === alg || (t === 'ssh-rsa' && alg.startsWith('rsa-sha2-')));
  return [...HOST_KEY_ALGORITHMS.filter(wanted), ...HOST_KEY_ALGORITHMS.filter((a) => !wanted(a))];
}

async function authConfig(hop: SshHop, deps: SshDeps): Promise<Partial<ConnectConfig>> {
  const auth = hop.auth;
  if (auth.method === 'key') {
    let passphrase: string | undefined;
    if (auth.passphraseRef) {
      passphrase = await deps.secrets.get(auth.passphraseRef);
      if (passphrase === undefined)
        throw new AppError(
          'SECRET_MISSING',
          `The passphrase of ${auth.keyPath} is missing from the keychain. Save it again.`,
        );
    }
    const privateKey = await readPrivateKey(auth.keyPath, passphrase, describeHop(hop));
    return { privateKey, ...(passphrase !== undefined ? { passphrase } : {}), authHandler: ['publickey'] };
  }
  if (auth.method === 'agent') {
    const agent = auth.socket ?? deps.agentSocket ?? process.env.SSH_AUTH_SOCK;
    if (!agent)
      throw new AppError(
        'SSH_AUTH_FAILED',
        `No ssh-agent is running for ${describeHop(hop)} (SSH_AUTH_SOCK is not set). Start one and load the key, or choose a key file.`,
        { details: { host: hop.host } },
      );
    return { agent, authHandler: ['agent'] };
  }
  const password = await deps.secrets.get(auth.passwordRef);
  if (password === undefined)
    throw new AppError(
      'SECRET_MISSING',
      `The SSH password for ${describeHop(hop)} is missing from the keychain.`,
    );
  return { password, tryKeyboard: true, authHandler: ['password', 'keyboard-interactive'] };
}

async function connectHop(
  hop: SshHop,
  deps: SshDeps,
  sock: Duplex | undefined,
  via: SshHop | undefined,
): Promise<Client> {
  const auth = await authConfig(hop, deps);
  const knownTypes = await deps.hostKeys.knownKeyTypes(hop.host, hop.port);
  const client = new Client();
  let refusal: unknown;
  return new Promise<Client>((resolve, reject) => {
    const fail = (e: unknown): void => {
      client.removeAllListeners('ready');
      client.end();
      reject(isAppError(refusal) ? refusal : connectError(e, hop, via));
    };
    client.once('ready', () => {
      client.removeListener('error', fail);
      // Every command and SFTP request is a few small packets sent back to back; with Nagle's
      // algorithm each waits for the peer's delayed ACK (40 ms on Linux, up to 200 ms elsewhere).
      client.setNoDelay(true);
      // Later errors (a dropped connection) surface through the next command; keep them from crashing.
      client.on('error', () => undefined);
      resolve(client);
    });
    client.once('error', fail);
    if (auth.password !== undefined) {
      const password = auth.password;
      client.on('keyboard-interactive', (_n, _i, _l, prompts, finish) =>
        finish(prompts.map(() => (typeof password === 'string' ? password : ''))),
      );
    }
    const config: ConnectConfig = {
      host: hop.host,
      port: hop.port,
      username: hop.username,
      ...(sock ? { sock } : {}),
      readyTimeout: deps.readyTimeoutMs ?? 20_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 4,
      algorithms: { serverHostKey: hostKeyAlgorithms(knownTypes) as never },
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        deps.hostKeys.verify(hop.host, hop.port, key, deps.confirmHostKey).then(
          () => verify(true),
          (e: unknown) => {
            refusal = e;
            verify(false);
          },
        );
      },
      ...auth,
    };
    try {
      client.connect(config);
    } catch (e) {
      // ssh2 throws at once for a config it rejects; key files were checked by readPrivateKey already.
      fail(e);
    }
  });
}

function forwardThrough(client: Client, hop: SshHop, via: SshHop): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    client.forwardOut('127.0.0.1', 0, hop.host, hop.port, (e, channel) => {
      if (e)
        reject(
          new AppError(
            'SSH_UNREACHABLE',
            `The jump host ${describeHop(via)} could not open a connection to ${hop.host}:${hop.port}: ${e.message}.`,
            { details: { host: hop.host, port: hop.port, jump: via.host }, cause: e },
          ),
        );
      else resolve(channel);
    });
  });
}

/** Opens a connection to `target` through its jump hosts. */
export async function openSsh(input: SshTargetInput | SshTarget, deps: SshDeps): Promise<SshConnection> {
  const target = SshTarget.parse(input);
  const opened: Client[] = [];
  try {
    let sock: Duplex | undefined;
    let via: SshHop | undefined;
    for (const hop of target.jumps) {
      const c = await connectHop(hop, deps, sock, via);
      opened.push(c);
      via = hop;
      const next = target.jumps[opened.length] ?? target;
      sock = await forwardThrough(c, next, hop);
    }
    const client = await connectHop(target, deps, sock, via);
    return new SshConnection(client, opened, target, deps.secrets);
  } catch (e) {
    for (const c of opened.reverse()) c.end();
    throw e;
  }
}

/**
 * The host key a host presents, read without logging in (for the wizard's "confirm this fingerprint"
 * step). Nothing is trusted or remembered by this call.
 */
export function probeHostKey(
  hop: Pick<SshHop, 'host' | 'port'>,
  options: { timeoutMs?: number; sock?: Duplex } = {},
): Promise<PresentedHostKey> {
  return new Promise((resolve, reject) => {
    const client = new Client();
    let seen: Buffer | undefined;
    client.on('error', (e) => {
      if (seen)
        resolve({
          host: hop.host,
          port: hop.port,
          keyType: blobKeyType(seen),
          fingerprint: fingerprintOf(seen),
          blob: seen,
        });
      else reject(connectError(e, { ...hop, username: 'probe', auth: { method: 'agent' } }));
    });
    client.connect({
      host: hop.host,
      port: hop.port,
      username: 'probe',
      ...(options.sock ? { sock: options.sock } : {}),
      readyTimeout: options.timeoutMs ?? 20_000,
      hostVerifier: (key: Buffer) => {
        seen = key;
        return false; // stop here: nothing is sent after the key exchange
      },
    });
  });
}
