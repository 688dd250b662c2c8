/**
 * The renderer's Content-Security-Policy, one definition for both ways the UI is served (Electron's
 * app:// protocol and `megaraptor serve`, both through RendererAssets). Scripts load only with the
 * per-response nonce (plus what they load: 'strict-dynamic'); Mantine's runtime <style> tags get the
 * nonce through MantineProvider's getStyleNonce; inline style attributes are allowed (style-src-attr,
 * see buildCsp). renderer/index.html carries a copy of the policy as a meta tag with the nonce
 * placeholder, which Vite also stamps on the tags it emits (html.cspNonce); keep that copy in sync
 * (browsers enforce both, so the stricter one wins).
 */
import { randomBytes } from 'node:crypto';

export const NONCE_PLACEHOLDER = '__CSP_NONCE__';

export function newNonce(): string {
  return randomBytes(18).toString('base64');
}

export function buildCsp(options: { nonce: string; connectSrc?: string[] }): string {
  const connect = ["'self'", ...(options.connectSrc ?? [])].join(' ');
  return [
    "default-src 'none'",
    `script-src 'nonce-${options.nonce}' 'strict-dynamic'`,
    // <style> elements stay nonce-only (style-src-elem; style-src is the fallback for browsers without
    // the CSP3 split). Inline style="" attributes cannot carry a nonce, and Monaco (layout, decorations)
    // and Mantine (style props, floating elements) set them, so style-src-attr allows them. An
    // attribute can only style the element it sits on; it cannot load or run anything.
    `style-src 'self' 'nonce-${options.nonce}'`,
    `style-src-elem 'self' 'nonce-${options.nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    `connect-src ${connect}`,
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
