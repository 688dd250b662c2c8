/**
 * How to reach an SSH host: address, login, how to authenticate, an optional chain of jump hosts and
 * how to become root. It is journaled with a deployment (so a clean-up after a restart can reach the
 * host again) and shown in plans, so it holds NO secret: passphrases and passwords are keychain
 * references (SecretStore refs), read only at the moment of login or sudo.
 */
import { z } from 'zod';
import { SECRET_REF_PATTERN } from '../../credentials/index';

const SecretRef = z.string().regex(SECRET_REF_PATTERN, 'a keychain reference');

/** A host name or an IPv4/IPv6 literal; no spaces, no user@, no port. */
const HostName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9._:%-]+$/, 'a host name or IP address');

export const SshAuth = z.discriminatedUnion('method', [
  /** The keys an ssh-agent holds (SSH_AUTH_SOCK, or the socket given). */
  z.object({ method: z.literal('agent'), socket: z.string().min(1).optional() }),
  /** A private key file on this machine; its passphrase, if any, from the keychain. */
  z.object({
    method: z.literal('key'),
    keyPath: z.string().min(1),
    passphraseRef: SecretRef.optional(),
  }),
  /** A password from the keychain (hosts that allow it). */
  z.object({ method: z.literal('password'), passwordRef: SecretRef }),
]);
export type SshAuth = z.infer<typeof SshAuth>;

/**
 * How commands that need root run: `none` (the login is root, or nothing needs root), `sudo` without a
 * password (NOPASSWD), or `sudo` with the login's password from the keychain.
 */
export const SudoPolicy = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('none') }),
  z.object({ mode: z.literal('sudo'), passwordRef: SecretRef.optional() }),
]);
export type SudoPolicy = z.infer<typeof SudoPolicy>;

export const SshHop = z.object({
  host: HostName,
  port: z.number().int().min(1).max(65535).default(22),
  username: z
    .string()
    .min(1)
    .max(64)
    .regex(/^[A-Za-z0-9._][A-Za-z0-9._-]*$/, 'a login name'),
  auth: SshAuth,
});
export type SshHop = z.infer<typeof SshHop>;

export const SshTarget = SshHop.extend({
  /** Jump hosts, outermost first (ssh -J a,b host). */
  jumps: z.array(SshHop).max(4).default([]),
  sudo: SudoPolicy.default({ mode: 'none' }),
});
export type SshTarget = z.infer<typeof SshTarget>;
export type SshTargetInput = z.input<typeof SshTarget>;

/** `user@host:port` — how a target is named in logs, journals and the known-hosts prompt. */
export function describeHop(hop: Pick<SshHop, 'host' | 'port' | 'username'>): string {
  const host = hop.host.includes(':') ? `[${hop.host}]` : hop.host;
  return `${hop.username}@${host}:${hop.port}`;
}

/** The scope a target's resources are journaled under (`ssh://user@host:port`). */
export function targetScope(target: Pick<SshHop, 'host' | 'port' | 'username'>): string {
  return `ssh://${describeHop(target)}`;
}
