/**
 * electron-vite builds three things into out/: main (ESM, deps external), preload (ONE CommonJS file
 * with everything inlined: a sandboxed preload cannot require modules or load ESM), and the renderer
 * (served by Electron's app:// protocol or by `megaraptor serve`). The CLI is bundled separately by
 * scripts/build.mjs with esbuild.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';
import type { Rollup } from 'vite';

const root = import.meta.dirname;
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { version: string };
const define = { __APP_VERSION__: JSON.stringify(pkg.version) };

// zod ships /* @__PURE__ */ comments in positions Rollup ignores; it says so on every build. Noise only.
const onwarn = (warning: Rollup.RollupLog, warn: (w: Rollup.RollupLog) => void) => {
  if (warning.code !== 'INVALID_ANNOTATION') warn(warning);
};

export default defineConfig({
  main: {
    define,
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: { input: { index: resolve(root, 'electron/main/index.ts') } },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'electron/preload/index.ts') },
        external: ['electron'],
        onwarn,
        output: { format: 'cjs', entryFileNames: '[name].cjs', inlineDynamicImports: true },
      },
    },
  },
  renderer: {
    root: resolve(root, 'renderer'),
    base: '/',
    plugins: [react()],
    // Vite stamps this placeholder on the tags it emits and on <meta property="csp-nonce">; the
    // server replaces it with a fresh nonce per page load (electron/core/server/csp.ts).
    html: { cspNonce: '__CSP_NONCE__' },
    build: {
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      chunkSizeWarningLimit: 4096,
      rollupOptions: { input: { index: resolve(root, 'renderer/index.html') }, onwarn },
    },
  },
});
