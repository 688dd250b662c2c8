/**
 * What went wrong on the way to a host, as the typed errors the app reacts to: the host or a jump host
 * cannot be reached (SSH_UNREACHABLE), it refused the login (SSH_AUTH_FAILED), and — from the output
 * of remote commands — sudo refused (SSH_SUDO_REFUSED) or the disk is full (SSH_NO_SPACE). Messages
 * name the host and what to check; they never carry a secret (ssh2 never puts one in its errors).
 */
import { AppError, isAppError, messageOf } from '../../../../shared/errors';
import { describeHop, type SshHop } from './target';

const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
]);

interface Ssh2Error extends Error {
  level?: string;
  code?: string;
}

/** An error from ssh2 while connecting to `hop` (through `via`, when it is a jump). */
export function connectError(e: unknown, hop: SshHop, via?: SshHop): AppError {
  if (isAppError(e)) return e;
  const err = e as Ssh2Error;
  const where = `${describeHop(hop)}${via ? ` (through the jump host ${describeHop(via)})` : ''}`;
  const msg = messageOf(e);
  if (err.level === 'client-authentication' || /authentication methods failed/i.test(msg))
    return new AppError(
      'SSH_AUTH_FAILED',
      `${where} refused the login as "${hop.username}" with ${authWords(hop)}. Check the user name, that the key is in its authorized_keys${hop.auth.method === 'agent' ? ' and loaded in the agent (ssh-add -l)' : ''}.`,
      {
        details: { host: hop.host, port: hop.port, username: hop.username, method: hop.auth.method },
        cause: e,
      },
    );
  // readPrivateKey checks key files first; this catches what ssh2 still rejects (an unsupported type).
  if (/passphrase|Encrypted private|bad decrypt|Cannot parse privateKey/i.test(msg))
    return new AppError(
      'SSH_KEY_UNUSABLE',
      `The private key ${hop.auth.method === 'key' ? hop.auth.keyPath : ''} for ${where} cannot be used: ${msg}.`,
      { details: { host: hop.host, port: hop.port, username: hop.username }, cause: e },
    );
  if (/agent/i.test(msg) && hop.auth.method === 'agent')
    return new AppError(
      'SSH_AUTH_FAILED',
      `The ssh-agent for ${where} cannot be used (${msg}). Start an agent and load the key (ssh-add), or choose a key file.`,
      { details: { host: hop.host, port: hop.port }, cause: e },
    );
  if (
    (err.code && UNREACHABLE_CODES.has(err.code)) ||
    err.level === 'client-socket' ||
    err.level === 'client-timeout' ||
    /timed out|handshake|ECONNREFUSED|connect/i.test(msg)
  )
    return new AppError(
      'SSH_UNREACHABLE',
      `${where} cannot be reached: ${msg}. Check the address and port, that sshd runs there, and the firewall or VPN in between.`,
      { details: { host: hop.host, port: hop.port, ...(err.code ? { code: err.code } : {}) }, cause: e },
    );
  return new AppError('SSH_UNREACHABLE', `The SSH connection to ${where} failed: ${msg}`, {
    details: { host: hop.host, port: hop.port },
    cause: e,
  });
}

function authWords(hop: SshHop): string {
  return hop.auth.method === 'agent'
    ? 'the keys of the ssh-agent'
    : hop.auth.method === 'key'
      ? `the key ${hop.auth.keyPath}`
      : 'the password saved in the keychain';
}

/** The bytes of stderr that say a disk is full, whatever the tool. */
export function mentionsNoSpace(text: string): boolean {
  return /No space left on device|Disk quota exceeded|ENOSPC/i.test(text);
}

/** sudo's own complaints, told apart from a failure of the command it ran. */
export function sudoRefusal(stderr: string, username: string): string | null {
  if (/incorrect password|Sorry, try again|no password was provided/i.test(stderr))
    return `sudo on the host did not accept the password saved in the keychain for "${username}".`;
  if (/a password is required|a terminal is required/i.test(stderr))
    return `sudo on the host asks "${username}" for a password (or does not let it use sudo at all): save the password in the keychain for this host, or allow NOPASSWD for this user.`;
  if (/is not in the sudoers file|not allowed to execute|may not run sudo/i.test(stderr))
    return `"${username}" may not use sudo on the host. Log in as a user that may, or as root.`;
  if (/must have a tty/i.test(stderr))
    return `sudo on the host requires a terminal (requiretty) for "${username}": allow it without one for this user.`;
  if (/sudo: (command )?not found|sudo: No such file/i.test(stderr))
    return 'sudo is not installed on the host. Install it, or log in as root.';
  return null;
}
