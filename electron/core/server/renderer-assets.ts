/**
 * Serves the built renderer (out/renderer) as responses, independent of the transport: the HTTP
 * server of browser mode and Electron's app:// protocol handler both use it. index.html gets a fresh
 * CSP nonce per response; every path is confined to the renderer folder.
 */
import { readFile, realpath, stat } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { buildCsp, newNonce, NONCE_PLACEHOLDER } from './csp';

export interface AssetResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

const COMMON_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

function text(status: number, body: string): AssetResponse {
  return {
    status,
    headers: { 'Content-Type': 'text/plain; charset=utf-8', ...COMMON_HEADERS },
    body: Buffer.from(body),
  };
}

/**
 * Whether a (missing) path names a built asset rather than a client-side route: anything under
 * assets/ (Vite's output folder) or a top-level file with a known static type (favicon.ico,
 * robots.txt). Route segments such as `C.4f2a` or `H.1234` have no known type and reach the app.
 */
function isAssetPath(rel: string): boolean {
  if (rel === 'assets' || rel.startsWith('assets/')) return true;
  return !rel.includes('/') && extname(rel).toLowerCase() in TYPES;
}

export class RendererAssets {
  private rootReal: string | undefined;

  constructor(
    private readonly rendererDir: string,
    /** Extra connect-src entries (the WebSocket origin in browser mode). */
    private readonly connectSrc: string[] = [],
  ) {}

  /**
   * `pathname` is the URL path, still percent-encoded. A path that is not an existing file gets
   * index.html (client-side routes, including ids with dots such as /clients/C.4f2a), except a
   * missing built asset (see isAssetPath), which is a real 404.
   */
  async get(pathname: string): Promise<AssetResponse> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return text(400, 'Bad path');
    }
    if (decoded.includes('\0') || decoded.split(/[\\/]/).includes('..')) return text(400, 'Bad path');
    const rel = decoded.replace(/^\/+/, '') || 'index.html';
    const root = (this.rootReal ??= await realpath(this.rendererDir).catch(() => this.rendererDir));
    const file = join(root, rel);
    const real = await realpath(file).catch(() => undefined);
    if (real === undefined || !(await stat(real)).isFile()) {
      // Client-side routes fall back to the app; missing assets are a real 404.
      return isAssetPath(rel) ? text(404, 'Not found') : this.index();
    }
    if (real !== root && !real.startsWith(root + sep)) return text(403, 'Forbidden');
    if (rel === 'index.html') return this.index();
    return {
      status: 200,
      headers: {
        'Content-Type': TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream',
        'Cache-Control': rel.startsWith('assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
        ...COMMON_HEADERS,
      },
      body: await readFile(real),
    };
  }

  private async index(): Promise<AssetResponse> {
    const template = await readFile(join(this.rendererDir, 'index.html'), 'utf8').catch(() => undefined);
    if (template === undefined) {
      return text(
        500,
        `The renderer is not built (no index.html in ${this.rendererDir}). Run \`npm run build\`.`,
      );
    }
    const nonce = newNonce();
    return {
      status: 200,
      headers: {
        'Content-Type': TYPES['.html']!,
        'Cache-Control': 'no-store',
        'Content-Security-Policy': buildCsp({ nonce, connectSrc: this.connectSrc }),
        ...COMMON_HEADERS,
      },
      body: Buffer.from(template.replaceAll(NONCE_PLACEHOLDER, nonce)),
    };
  }
}
