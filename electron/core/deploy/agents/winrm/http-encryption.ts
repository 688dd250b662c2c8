/**
 * WinRM's HTTP message encryption with NTLM (MS-WSMV 2.2.9.1.1): over plain HTTP each SOAP envelope
 * travels sealed in a two-part `multipart/encrypted` body — a header part naming the original type
 * and length, then an `application/octet-stream` part holding the signature length (4 bytes,
 * little-endian), the 16-byte NTLM signature and the sealed envelope:
 *
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
 *   \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/octet-stream\r\n
 *   <length><signature><sealed N bytes>--Encrypted Boundary--\r\n
 *
 * Both directions use it; the client and the test listener share this module.
 */
import { AppError } from '../../../../../shared/errors';
import { type NtlmSession } from './ntlm-session';

export const ENCRYPTED_PROTOCOL = 'application/HTTP-SPNEGO-session-encrypted';
export const ENCRYPTED_CONTENT_TYPE = `multipart/encrypted;protocol="${ENCRYPTED_PROTOCOL}";boundary="Encrypted Boundary"`;

const BOUNDARY = '--Encrypted Boundary';
const OCTETS = `${BOUNDARY}\r\n\tContent-Type: application/octet-stream\r\n`;

/** The sealed body of one SOAP envelope. */
export function encryptBody(session: NtlmSession, envelope: Buffer): Buffer {
  const { sealed, signature } = session.seal(envelope);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(signature.length);
  return Buffer.concat([
    Buffer.from(
      `${BOUNDARY}\r\n\tContent-Type: ${ENCRYPTED_PROTOCOL}\r\n\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=${envelope.length}\r\n${OCTETS}`,
      'latin1',
    ),
    length,
    signature,
    sealed,
    Buffer.from(`${BOUNDARY}--\r\n`, 'latin1'),
  ]);
}

export function isEncrypted(contentType: string | undefined): boolean {
  return (
    /^multipart\/encrypted\s*;/i.test(contentType ?? '') &&
    (contentType ?? '').includes(`protocol="${ENCRYPTED_PROTOCOL}"`)
  );
}

function malformed(what: string): never {
  throw new AppError(
    'WINRM_SEAL_INVALID',
    `A sealed WinRM message is malformed (${what}); nothing in it is used.`,
  );
}

/**
 * The envelope inside a sealed body, signature checked. The sealed part is read by the lengths the
 * message declares, not by searching for the boundary, which may occur inside encrypted bytes.
 */
export function decryptBody(session: NtlmSession, body: Buffer): Buffer {
  const head = `${BOUNDARY}\r\n\tContent-Type: ${ENCRYPTED_PROTOCOL}\r\n`;
  if (!body.subarray(0, head.length).equals(Buffer.from(head, 'latin1'))) malformed('no encrypted part');
  const lineEnd = body.indexOf('\r\n', head.length, 'latin1');
  if (lineEnd < 0) malformed('no OriginalContent');
  const original = /^\tOriginalContent: type=application\/soap\+xml;charset=UTF-8;Length=(\d+)$/i.exec(
    body.subarray(head.length, lineEnd).toString('latin1'),
  );
  if (!original) malformed('no OriginalContent length');
  const length = Number(original[1]);
  const at = lineEnd + 2;
  if (!body.subarray(at, at + OCTETS.length).equals(Buffer.from(OCTETS, 'latin1')))
    malformed('no octet-stream part');
  let p = at + OCTETS.length;
  if (p + 4 > body.length) malformed('truncated');
  const signatureLength = body.readUInt32LE(p);
  p += 4;
  if (p + signatureLength + length > body.length) malformed('shorter than its declared length');
  const signature = body.subarray(p, p + signatureLength);
  p += signatureLength;
  const sealed = body.subarray(p, p + length);
  p += length;
  const rest = body.subarray(p).toString('latin1');
  if (rest !== `${BOUNDARY}--\r\n` && rest !== `${BOUNDARY}--`) malformed('data after the sealed envelope');
  return session.unseal(sealed, signature);
}
