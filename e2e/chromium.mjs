// The Chromium every browser-mode run uses: Debian's /usr/bin/chromium (never a downloaded browser) and
// one flag list. Plain ESM so both playwright.config.ts and the benchmarks (plain `node bench/ui/run.mjs`,
// no TypeScript loader) import it; types in chromium.d.mts.

/** The browser binary; MEGARAPTOR_CHROMIUM overrides it. */
export const CHROMIUM_PATH = process.env.MEGARAPTOR_CHROMIUM ?? '/usr/bin/chromium';

/** Headless software rendering, no background traffic, no first-run UI. */
export const CHROMIUM_ARGS = Object.freeze([
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
]);
