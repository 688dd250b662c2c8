import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCsp, newNonce } from './csp';
import { RendererAssets } from './renderer-assets';

function directives(csp: string): Map<string, string> {
  return new Map(
    csp.split(';').map((d) => {
      const [name, ...values] = d.trim().split(/\s+/);
      return [name!, values.join(' ')];
    }),
  );
}

describe('buildCsp', () => {
  it('keeps scripts and <style> elements nonce-only and allows inline style attributes', () => {
    const d = directives(buildCsp({ nonce: 'abc123', connectSrc: ['ws://127.0.0.1:9'] }));
    expect(d.get('default-src')).toBe("'none'");
    expect(d.get('script-src')).toBe("'nonce-abc123' 'strict-dynamic'");
    expect(d.get('script-src')).not.toContain('unsafe');
    expect(d.has('script-src-attr')).toBe(false);
    expect(d.has('script-src-elem')).toBe(false);
    expect(d.get('style-src')).toBe("'self' 'nonce-abc123'");
    expect(d.get('style-src-elem')).toBe("'self' 'nonce-abc123'");
    expect(d.get('style-src-attr')).toBe("'unsafe-inline'");
    expect(d.get('connect-src')).toBe("'self' ws://127.0.0.1:9");
    expect(d.get('worker-src')).toBe("'self' blob:");
    expect(d.get('object-src')).toBe("'none'");
    expect(d.get('base-uri')).toBe("'none'");
    expect(d.get('form-action')).toBe("'none'");
    expect(d.get('frame-ancestors')).toBe("'none'");
    expect([...d.keys()].filter((k) => k.startsWith('style-src'))).toEqual([
      'style-src',
      'style-src-elem',
      'style-src-attr',
    ]);
  });

  it('matches the meta-tag copy in renderer/index.html (browsers enforce both; the stricter wins)', () => {
    const html = readFileSync(join(import.meta.dirname, '../../../renderer/index.html'), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBeDefined();
    const fromMeta = directives(meta!);
    const fromHeader = directives(buildCsp({ nonce: '__CSP_NONCE__' }));
    // frame-ancestors is ignored in a meta tag, so only the header carries it.
    fromHeader.delete('frame-ancestors');
    expect(Object.fromEntries(fromMeta)).toEqual(Object.fromEntries(fromHeader));
  });

  it('gives each page a fresh nonce', () => {
    expect(newNonce()).not.toBe(newNonce());
    expect(newNonce()).toMatch(/^[A-Za-z0-9+/]{24}$/);
  });

  it('is exactly the policy RendererAssets sends (Electron app:// and browser mode both use it)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'megaraptor-csp-'));
    try {
      writeFileSync(join(dir, 'index.html'), '<html><script nonce="__CSP_NONCE__"></script></html>');
      const r = await new RendererAssets(dir, ['ws://127.0.0.1:9']).get('/clients/C.4f2a');
      const nonce = /nonce="([^"]+)"/.exec(r.body.toString())?.[1];
      expect(nonce).toBeTruthy();
      expect(r.headers['Content-Security-Policy']).toBe(
        buildCsp({ nonce: nonce!, connectSrc: ['ws://127.0.0.1:9'] }),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
