/**
 * Pin on first use for WinRM listeners, as SSH host keys work: before a push the responder sees each
 * listener's certificate (SHA-256, subject, issuer, validity) and whether it is pinned, new or changed
 * — or, with a CA given, whether it chains to that CA for the host name — and confirms new ones once.
 * Trusting asks the host again and pins only the fingerprint the responder saw, only while nothing
 * else is pinned for it: a changed certificate is never confirmed from here. The push itself checks
 * the pin during the TLS handshake (client.ts), before anything is sent.
 */
import type { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { checkServerIdentity, connect } from 'node:tls';
import type { WinRmCertScan } from '../../../../../shared/contracts/agents';
import { AppError, messageOf } from '../../../../../shared/errors';
import { normalizeFingerprint } from './client';
import type { WinRmCertStore } from './cert-store';

export interface ProbedCertificate {
  cert: X509Certificate;
  /** With a CA given: null when the chain and the host name check out, else why not. */
  chainError: string | null;
}

/** The listener's certificate without logging in; with `caPem`, whether it chains to that CA for `host`. */
export function probeCertificate(
  host: string,
  port = 5986,
  options: { caPem?: string; timeoutMs?: number } = {},
): Promise<ProbedCertificate> {
  return new Promise((resolve, reject) => {
    const s = connect({
      host,
      port,
      rejectUnauthorized: false,
      ...(options.caPem ? { ca: options.caPem } : {}),
      ...(isIP(host) ? {} : { servername: host }),
    });
    const t = setTimeout(() => s.destroy(new Error('no TLS handshake in time')), options.timeoutMs ?? 15_000);
    s.once('secureConnect', () => {
      clearTimeout(t);
      const cert = s.getPeerX509Certificate();
      const chainError = s.authorized
        ? (checkServerIdentity(host, cert?.toLegacyObject() ?? ({} as never))?.message ?? null)
        : String(s.authorizationError);
      s.end();
      if (cert) resolve({ cert, chainError });
      else reject(new AppError('WINRM_CERT_UNTRUSTED', `${host}:${port} presented no certificate.`));
    });
    s.once('error', (e: Error) => {
      clearTimeout(t);
      reject(
        new AppError(
          'WINRM_UNREACHABLE',
          `The WinRM listener ${host}:${port} cannot be reached: ${e.message}`,
          { cause: e },
        ),
      );
    });
  });
}

/** What the responder compares: the fingerprint, who the certificate names and who issued it, when valid. */
export function certificateFacts(
  cert: X509Certificate,
): Required<Pick<WinRmCertScan, 'fingerprint' | 'subject' | 'issuer' | 'validFrom' | 'validTo'>> {
  const oneLine = (dn: string) => dn.split('\n').join(', ');
  return {
    fingerprint: cert.fingerprint256,
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    validFrom: new Date(cert.validFrom).toISOString(),
    validTo: new Date(cert.validTo).toISOString(),
  };
}

/** The message of a changed certificate: both fingerprints, and what to do. */
export function changedMessage(host: string, port: number, presented: string, pinned: string): string {
  return `The WinRM certificate of ${host}:${port} changed: it presents SHA-256 ${presented}, but ${pinned} was confirmed before. Someone may be intercepting the connection, or the listener's certificate was replaced. Nothing was done on the host. If you know it was replaced, forget the old pin (megaraptor agents forget-winrm-cert ${host}:${port}) and confirm the new one.`;
}

/** `fn` over `items`, at most `limit` at once (TLS handshakes to hundreds of hosts), in input order. */
async function eachBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** What host:port presents now, against the app's pins or the CA given. Nothing is pinned. */
export async function scanCertificate(
  store: WinRmCertStore,
  hop: { host: string; port: number },
  options: { caPem?: string; timeoutMs?: number } = {},
): Promise<WinRmCertScan> {
  let probed: ProbedCertificate;
  try {
    probed = await probeCertificate(hop.host, hop.port, options);
  } catch (e) {
    return { ...hop, status: 'unreachable', message: messageOf(e) };
  }
  const facts = { ...hop, ...certificateFacts(probed.cert) };
  if (options.caPem)
    return probed.chainError
      ? {
          ...facts,
          status: 'ca-invalid',
          message: `Not issued by the CA given for ${hop.host}: ${probed.chainError}`,
        }
      : { ...facts, status: 'ca-valid' };
  const pin = await store.status(hop.host, hop.port, facts.fingerprint);
  if (pin.status === 'changed')
    return {
      ...facts,
      status: 'changed',
      pinned: pin.pinned,
      message: changedMessage(hop.host, hop.port, facts.fingerprint, pin.pinned),
    };
  return { ...facts, status: pin.status };
}

export function scanCertificates(
  store: WinRmCertStore,
  hosts: ReadonlyArray<{ host: string; port: number }>,
  options: { caPem?: string; timeoutMs?: number; concurrency?: number } = {},
): Promise<WinRmCertScan[]> {
  return eachBounded(hosts, options.concurrency ?? 16, (h) => scanCertificate(store, h, options));
}

/**
 * Pins the certificates the responder confirmed. Each host is asked again: it must present exactly the
 * fingerprint confirmed, and no other may be pinned for it; otherwise it is refused with both shown.
 */
export async function trustCertificates(
  store: WinRmCertStore,
  certs: ReadonlyArray<{ host: string; port: number; fingerprint: string }>,
  options: { timeoutMs?: number; concurrency?: number } = {},
): Promise<{ trusted: number; refused: WinRmCertScan[] }> {
  const results = await eachBounded(certs, options.concurrency ?? 16, async (c) => {
    const confirmed = normalizeFingerprint(c.fingerprint);
    const scan = await scanCertificate(store, c, {
      ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
    });
    if (scan.status === 'unreachable' || scan.status === 'changed') return scan;
    if (scan.fingerprint !== confirmed)
      return {
        ...scan,
        status: 'changed' as const,
        message: `${c.host}:${c.port} now presents SHA-256 ${scan.fingerprint}, not the ${confirmed} that was confirmed. Nothing was pinned; compare the certificate on the host again.`,
      };
    if (scan.status === 'known') return null;
    if (await store.remember(c.host, c.port, confirmed)) return null;
    // Another pin appeared between the scan and the write (another window confirmed one).
    return scanCertificate(store, c, options);
  });
  const refused = results.filter((r): r is WinRmCertScan => r !== null);
  return { trusted: results.length - refused.length, refused };
}
