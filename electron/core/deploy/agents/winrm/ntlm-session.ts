/**
 * NTLM session security (MS-NLMP 3.4) for WinRM over plain HTTP, with what a Windows listener
 * negotiates: NTLMv2, extended session security, 128-bit keys and key exchange. The exported session
 * key (random, sent encrypted in AUTHENTICATE) gives four keys (3.4.5.2, 3.4.5.3): a signing and a
 * sealing key for each direction. A message is sealed with its direction's RC4 stream — one stream for
 * the whole connection, never restarted — and signed with HMAC-MD5 over the sequence number and the
 * plaintext, the first 8 bytes of which are then encrypted with the same stream (3.4.4.2). Each side
 * counts its own messages from 0; a signature that does not match (tampered, replayed, reordered, or
 * another key) is refused, and after a refusal the streams are out of step, so the connection is
 * dropped.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../../../../shared/errors';
import { Rc4 } from './rc4';

export type NtlmRole = 'client' | 'server';

const magic = (direction: string, kind: 'signing' | 'sealing') =>
  Buffer.from(`session key to ${direction} ${kind} key magic constant\0`, 'latin1');

const derive = (exportedSessionKey: Buffer, direction: string, kind: 'signing' | 'sealing') =>
  createHash('md5')
    .update(Buffer.concat([exportedSessionKey, magic(direction, kind)]))
    .digest();

/** SIGNKEY and SEALKEY of both directions for a 128-bit exported session key. */
export function sessionKeys(exportedSessionKey: Buffer) {
  if (exportedSessionKey.length !== 16) throw new RangeError('NTLM session keys are 16 bytes');
  return {
    clientSigning: derive(exportedSessionKey, 'client-to-server', 'signing'),
    clientSealing: derive(exportedSessionKey, 'client-to-server', 'sealing'),
    serverSigning: derive(exportedSessionKey, 'server-to-client', 'signing'),
    serverSealing: derive(exportedSessionKey, 'server-to-client', 'sealing'),
  };
}

interface Direction {
  signing: Buffer;
  rc4: Rc4;
  seq: number;
}

export const SIGNATURE_LENGTH = 16;

export class NtlmSession {
  private readonly out: Direction;
  private readonly in: Direction;

  constructor(exportedSessionKey: Buffer, role: NtlmRole) {
    const k = sessionKeys(exportedSessionKey);
    const client = { signing: k.clientSigning, rc4: new Rc4(k.clientSealing), seq: 0 };
    const server = { signing: k.serverSigning, rc4: new Rc4(k.serverSealing), seq: 0 };
    [this.out, this.in] = role === 'client' ? [client, server] : [server, client];
  }

  /** SEAL (3.4.3): the message encrypted, and its 16-byte NTLMSSP_MESSAGE_SIGNATURE. */
  seal(message: Buffer): { sealed: Buffer; signature: Buffer } {
    const d = this.out;
    const sealed = d.rc4.update(message);
    const signature = this.signature(d, message);
    d.seq = (d.seq + 1) >>> 0;
    return { sealed, signature };
  }

  /** Decrypts a message from the peer and checks its signature; refuses it when that fails. */
  unseal(sealed: Buffer, signature: Buffer): Buffer {
    const d = this.in;
    const message = d.rc4.update(sealed);
    const expected = this.signature(d, message);
    d.seq = (d.seq + 1) >>> 0;
    if (signature.length !== SIGNATURE_LENGTH || !timingSafeEqual(expected, signature))
      throw new AppError(
        'WINRM_SEAL_INVALID',
        'A sealed WinRM message failed its NTLM signature check: it was changed on the way, or it was not sealed for this session. The connection is dropped; nothing in it is used.',
      );
    return message;
  }

  private signature(d: Direction, message: Buffer): Buffer {
    const seq = Buffer.alloc(4);
    seq.writeUInt32LE(d.seq);
    const checksum = createHmac('md5', d.signing)
      .update(Buffer.concat([seq, message]))
      .digest()
      .subarray(0, 8);
    const version = Buffer.from([1, 0, 0, 0]);
    // With key exchange the checksum is encrypted with the sealing stream, after the message.
    return Buffer.concat([version, d.rc4.update(checksum), seq]);
  }
}
