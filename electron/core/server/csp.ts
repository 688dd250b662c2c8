/**
 * The renderer's Content-Security-Policy, one definition for both ways the UI is served (Electron's
 * app:// protocol and `megaraptor serve`). Scripts load only with the per-response nonce (plus what
 * they load: 'strict-dynamic'); Mantine's runtime <style> tags get the nonce through
 * MantineProvider's getStyleNonce. renderer/index.html carries the same policy as a meta tag with the
 * nonce placeholder, which Vite also stamps on the tags it emits (html.cspNonce).
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
    `style-src 'self' 'nonce-${options.nonce}'`,
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
