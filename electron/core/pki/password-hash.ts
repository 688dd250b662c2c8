/**
 * Velociraptor's GUI password scheme: a 32-byte random salt and SHA-256(salt || password), both
 * hex-encoded in `GUI.initial_users[].password_salt` / `password_hash` (VR services/users SetPassword).
 * Used by the config writer (so a deployed admin can log in) and by the simulator's GUI port.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export interface PasswordHash {
  password_hash: string;
  password_salt: string;
}

export function hashPassword(password: string, salt: Buffer = randomBytes(32)): PasswordHash {
  const hash = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return { password_hash: hash.toString('hex'), password_salt: salt.toString('hex') };
}

export function verifyPassword(password: string, stored: PasswordHash): boolean {
  const salt = Buffer.from(stored.password_salt, 'hex');
  const expected = Buffer.from(stored.password_hash, 'hex');
  const actual = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
