/**
 * What a server presents: connects over mTLS (the deployment's CA, the app's API identity) and reads
 * the certificate the server served — its dates, fingerprint and public key.
 */
import { connect } from 'node:tls';
import { SERVER_NAME } from '../../pki/index';

export interface ServedCertificate {
  validFrom: Date;
  validTo: Date;
  fingerprint256: string;
  /** SPKI DER, hex. */
  publicKey: string;
}

export function servedCertificate(
  endpoint: string,
  tls: { ca: string; cert: string; key: string },
): Promise<ServedCertificate> {
  const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(endpoint);
  if (!m) throw new Error(`not host:port: ${endpoint}`);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: m[1]!, port: Number(m[2]), servername: SERVER_NAME, ...tls, ALPNProtocols: ['h2'] },
      () => {
        const c = socket.getPeerX509Certificate();
        socket.destroy();
        if (!c) return reject(new Error('no certificate was served'));
        resolve({
          validFrom: new Date(c.validFrom),
          validTo: new Date(c.validTo),
          fingerprint256: c.fingerprint256,
          publicKey: c.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'),
        });
      },
    );
    socket.setTimeout(10_000, () => socket.destroy(new Error(`${endpoint}: no TLS answer in 10 s`)));
    socket.once('error', reject);
  });
}
