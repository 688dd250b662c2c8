import { expect, type Locator, type Page } from '@playwright/test';
import { join } from 'node:path';
import { ROOT } from '../serve';

/** Page object for the investigation screens (connections, clients, flows, notebooks, hunts). */
export class InvestigationPage {
  constructor(readonly page: Page) {}

  testId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(ROOT, 'docs', 'screenshots', `${name}.png`), fullPage: false });
  }

  /** Connects the demo server unless this app run already has it (a worker restart loses it). */
  async ensureDemo(): Promise<void> {
    await expect(this.testId('start-demo').or(this.testId('connection-demo-simulator'))).toBeVisible();
    if (await this.testId('start-demo').isVisible()) await this.startDemo();
  }

  async startDemo(): Promise<void> {
    await this.testId('start-demo').click();
    await expect(this.testId('connection-demo-simulator')).toBeVisible({ timeout: 30_000 });
  }

  /** Waits until every connection test step of `name` reports ok. */
  async expectTestPassed(name: string): Promise<void> {
    const box = this.testId(`connection-test-${name}`);
    for (const step of ['config', 'reachable', 'tls', 'identity', 'permissions']) {
      await expect(box.getByTestId(`test-step-${step}`)).toHaveAttribute('data-status', 'ok', {
        timeout: 20_000,
      });
    }
  }

  async openFirstClient(os: string): Promise<string> {
    const row = this.page.locator('[data-testid^="client-row-"]', { hasText: os }).first();
    const id = (await row.getAttribute('data-testid'))!.replace('client-row-', '');
    await row.click();
    await expect(this.testId('client-detail')).toBeVisible();
    return id;
  }

  async collect(artifact: string, search: string): Promise<void> {
    await this.testId('collect-button').click();
    await this.page.getByRole('textbox', { name: 'Search artifacts' }).fill(search);
    await this.testId(`artifact-${artifact}`).click();
    await this.testId('collect-next').click();
    await this.testId('collect-next').click();
    await this.testId('collect-launch').click();
    await expect(this.testId('flow-view')).toBeVisible();
    await expect(this.testId('flow-state')).toHaveText('FINISHED', { timeout: 45_000 });
  }

  grid(scope: Locator = this.page.locator('body')): Locator {
    return scope.getByRole('grid').first();
  }
}
