/**
 * The fixture every browser-mode spec uses:
 *
 *   import { test, expect } from './fixtures';
 *   test('...', async ({ shell, server, page }) => { await shell.open(); ... });
 *
 * `server` is a real `megaraptor serve` with its own MEGARAPTOR_DATA_DIR, started once per spec
 * file (files run one after another in a worker) and stopped when the next file starts or the
 * worker ends. `shell` is the page object of the app shell. Page objects live in e2e/pages/.
 */
import { test as base, expect } from '@playwright/test';
import { chromium } from '../test/real-parts';
import { ShellPage } from './pages/ShellPage';
import { startServe, type RunningServer, type ServeInfo } from './serve';

class PerFileServers {
  private current: { file: string; server: RunningServer } | undefined;

  async forFile(file: string): Promise<RunningServer> {
    if (this.current?.file === file) return this.current.server;
    await this.stop();
    this.current = { file, server: await startServe() };
    return this.current.server;
  }

  async stop(): Promise<void> {
    const s = this.current;
    this.current = undefined;
    await s?.server.stop();
  }
}

export const test = base.extend<{ server: ServeInfo; shell: ShellPage }, { servers: PerFileServers }>({
  servers: [
    // eslint-disable-next-line no-empty-pattern -- Playwright requires the destructuring form
    async ({}, use) => {
      const servers = new PerFileServers();
      await use(servers);
      await servers.stop();
    },
    { scope: 'worker' },
  ],
  server: async ({ servers }, use, testInfo) => {
    chromium().skipOrFail((skip, why) => testInfo.skip(skip, why));
    const s = await servers.forFile(testInfo.file);
    await use({ url: s.url, origin: s.origin, port: s.port, token: s.token, dataDir: s.dataDir });
  },
  shell: async ({ page, server }, use) => {
    await use(new ShellPage(page, server));
  },
});

export { expect };
