import { expect, type Locator, type Page } from '@playwright/test';

/** The Connections page: import a config, the demo server, each connection and its test steps. */
export class ConnectionsPage {
  readonly configYaml: Locator;
  readonly configFile: Locator;
  readonly configName: Locator;
  readonly importSubmit: Locator;
  readonly importError: Locator;
  readonly startDemoButton: Locator;
  readonly demo: Locator;

  constructor(readonly page: Page) {
    this.configYaml = page.getByTestId('config-yaml');
    this.configFile = page.locator('input[type="file"]');
    this.configName = page.getByTestId('config-name');
    this.importSubmit = page.getByTestId('import-submit');
    this.importError = page.getByTestId('import-error');
    this.startDemoButton = page.getByTestId('start-demo');
    this.demo = this.connection('demo-simulator');
  }

  connection(name: string): Locator {
    return this.page.getByTestId(`connection-${name}`);
  }

  /** Imports an API config file under `name` and waits until the connection is listed. */
  async importFile(file: string, name: string): Promise<void> {
    await this.configFile.setInputFiles(file);
    await expect(this.configYaml).toHaveValue(/api_connection_string/);
    await this.configName.fill(name);
    await this.importSubmit.click();
    await expect(this.connection(name)).toBeVisible();
  }

  /**
   * Connects the demo server unless this server already has it, and makes it the active one: any
   * test may run first, including one that left another server active.
   */
  async ensureDemo(): Promise<void> {
    await expect(this.startDemoButton.or(this.demo)).toBeVisible();
    if (await this.startDemoButton.isVisible()) {
      await this.startDemoButton.click();
      await expect(this.demo).toBeVisible({ timeout: 30_000 });
    }
    await this.use('demo-simulator');
  }

  /** Makes `name` the active server (its card's Use; nothing to do when it is active already). */
  async use(name: string): Promise<void> {
    const card = this.connection(name);
    await expect(card).toBeVisible();
    const use = card.getByRole('button', { name: 'Use' });
    if (await use.isVisible()) await use.click();
    await expect(card.getByText('active', { exact: true })).toBeVisible();
  }

  /** Removes a connection from the app (its card's Remove) and waits until it is gone. */
  async remove(name: string): Promise<void> {
    await this.connection(name).getByRole('button', { name: 'Remove' }).click();
    await expect(this.connection(name)).toHaveCount(0);
  }

  /** Waits until every connection test step of `name` reports ok. */
  async expectTestPassed(name: string): Promise<void> {
    const box = this.page.getByTestId(`connection-test-${name}`);
    for (const step of ['config', 'reachable', 'tls', 'identity', 'permissions']) {
      await expect(box.getByTestId(`test-step-${step}`)).toHaveAttribute('data-status', 'ok', {
        timeout: 20_000,
      });
    }
  }
}
