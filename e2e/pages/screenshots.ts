import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import { ROOT } from '../serve';

/** Saves what the page shows as docs/screenshots/<name>.png (the README and docs use them). */
export async function saveScreenshot(page: Page, name: string): Promise<void> {
  const dir = join(ROOT, 'docs', 'screenshots');
  mkdirSync(dir, { recursive: true });
  await page.screenshot({ path: join(dir, `${name}.png`), fullPage: false });
}
