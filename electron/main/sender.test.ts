import { describe, expect, it } from 'vitest';
import { isAllowedExternalUrl, isTrustedSender } from './sender';

describe('isTrustedSender', () => {
  it.each([
    ['the app page', 'app://megaraptor/index.html', true],
    ['an app route', 'app://megaraptor/settings', true],
    ['another app:// host', 'app://evil/index.html', false],
    ['a look-alike host', 'app://megaraptor.evil/index.html', false],
    ['a file page', 'file:///tmp/index.html', false],
    ['a web page', 'https://example.com/', false],
    ['the dev server when not in dev', 'http://localhost:5173/', false],
    ['garbage', 'not a url', false],
  ])('%s → %s', (_n, url, expected) => {
    expect(isTrustedSender({ url, isTopFrame: true })).toBe(expected);
  });

  it('refuses subframes and vanished frames even on our origin', () => {
    expect(isTrustedSender({ url: 'app://megaraptor/index.html', isTopFrame: false })).toBe(false);
    expect(isTrustedSender({ url: undefined, isTopFrame: true })).toBe(false);
  });

  it('accepts the dev server origin only when one is configured', () => {
    const opts = { devServerUrl: 'http://localhost:5173' };
    expect(isTrustedSender({ url: 'http://localhost:5173/settings', isTopFrame: true }, opts)).toBe(true);
    expect(isTrustedSender({ url: 'http://localhost:5174/', isTopFrame: true }, opts)).toBe(false);
  });
});

describe('isAllowedExternalUrl', () => {
  const list = ['https://docs.velociraptor.app/'];
  it.each([
    ['https://docs.velociraptor.app/', true],
    ['http://docs.velociraptor.app/', false],
    ['https://docs.velociraptor.app.evil.com/', false],
    ['https://user:pw@docs.velociraptor.app/', false],
    ['https://docs.velociraptor.app/other', false],
    ['javascript:alert(1)', false],
    ['file:///etc/passwd', false],
  ])('%s → %s', (url, expected) => {
    expect(isAllowedExternalUrl(url, list)).toBe(expected);
  });
});
