/**
 * A local HTTPS server (certificate from a test CA) that serves Velociraptor-style releases the way
 * GitHub does: `GET /repos/<repo>/releases` (the API's JSON) and the assets with HTTP Range support,
 * plus `releases.json` at the root for the mirror layout. Faults for the tests: cut an asset's
 * transfer after N bytes once, or ignore Range. Every request is recorded (path, Range header).
 * An optional CONNECT proxy records the tunnels asked of it.
 */
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createCertificateAuthority, issueCertificate } from '../../pki/certificates';

export interface ServedRelease {
  tag: string;
  publishedAt: string;
  assets: Record<string, Buffer>;
  prerelease?: boolean;
}

export interface ReleaseServer {
  url: string;
  caPem: string;
  requests: Array<{ path: string; range: string | undefined }>;
  releases: ServedRelease[];
  /** Cut the next transfer of `asset` after `bytes` bytes (once). */
  cutOnce(asset: string, bytes: number): void;
  ignoreRange: boolean;
  close(): Promise<void>;
}

export async function startReleaseServer(
  releases: ServedRelease[],
  repo = 'Velocidex/velociraptor',
): Promise<ReleaseServer> {
  const ca = await createCertificateAuthority({ organization: 'Megaraptor test release CA' });
  const leaf = await issueCertificate(ca, {
    commonName: 'localhost',
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1'],
  });
  const cuts = new Map<string, number>();
  const requests: ReleaseServer['requests'] = [];
  let base = '';
  const listing = () =>
    JSON.stringify(
      releases.map((r) => ({
        tag_name: r.tag,
        name: r.tag,
        draft: false,
        prerelease: r.prerelease ?? false,
        published_at: r.publishedAt,
        assets: Object.entries(r.assets).map(([name, data]) => ({
          name,
          size: data.length,
          browser_download_url: `${base}/download/${r.tag}/${name}`,
        })),
      })),
    );
  const state = { ignoreRange: false };
  const server: Server = createServer({ cert: leaf.certificatePem, key: leaf.privateKeyPem }, (req, res) => {
    const url = new URL(req.url ?? '/', base);
    requests.push({ path: url.pathname, range: req.headers.range });
    if (url.pathname === `/repos/${repo}/releases` || url.pathname === '/releases.json') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(listing());
      return;
    }
    const m = /^\/download\/([^/]+)\/([^/]+)$/.exec(url.pathname);
    const data = m ? releases.find((r) => r.tag === m[1])?.assets[m[2]!] : undefined;
    if (!m || !data) {
      res.writeHead(404).end('not found');
      return;
    }
    // Like GitHub: the download URL redirects to the object store.
    if (!url.searchParams.has('signed')) {
      res.writeHead(302, { Location: `${url.pathname}?signed=token` }).end();
      return;
    }
    let start = 0;
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (range && !state.ignoreRange) start = Number(range[1]);
    const body = data.subarray(start);
    res.writeHead(start > 0 ? 206 : 200, {
      'Content-Length': body.length,
      'Accept-Ranges': 'bytes',
      ...(start > 0 ? { 'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    const cut = cuts.get(m[2]!);
    if (cut !== undefined) {
      cuts.delete(m[2]!);
      // A graceful close after the bytes (FIN, not RST): the client receives exactly `cut` bytes and
      // then the end of a response that promised more — a cut connection, reproducibly.
      res.write(body.subarray(0, cut), () => res.socket?.end());
      return;
    }
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    caPem: ca.certificatePem,
    requests,
    releases,
    cutOnce: (asset, bytes) => cuts.set(asset, bytes),
    get ignoreRange() {
      return state.ignoreRange;
    },
    set ignoreRange(v: boolean) {
      state.ignoreRange = v;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

export interface ConnectProxy {
  url: string;
  tunnels: string[];
  close(): Promise<void>;
}

/** A plain HTTP CONNECT proxy on loopback that records each tunnel's target. */
export async function startConnectProxy(): Promise<ConnectProxy> {
  const tunnels: string[] = [];
  const sockets = new Set<Socket>();
  const server: HttpServer = createHttpServer((_req, res) => res.writeHead(405).end());
  server.on('connect', (req, client: Socket, head: Buffer) => {
    tunnels.push(req.url ?? '');
    const [host, port] = (req.url ?? '').split(':');
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    tunnels,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
