import { expect, type Locator, type Page } from '@playwright/test';
import { join } from 'node:path';
import { ROOT } from '../serve';

/** Page object of the Credentials page: status banner, table, reveal/delete dialogs, repair report. */
export class CredentialsPage {
  readonly status: Locator;
  readonly table: Locator;
  readonly emptyState: Locator;
  readonly repairReport: Locator;
  readonly revealModal: Locator;
  readonly deleteModal: Locator;

  constructor(readonly page: Page) {
    this.status = page.getByTestId('credentials-status');
    this.table = page.getByTestId('credentials-table');
    this.emptyState = page.getByTestId('area-empty-state');
    this.repairReport = page.getByTestId('repair-report');
    this.revealModal = page.getByRole('dialog', { name: /^Reveal/ });
    this.deleteModal = page.getByRole('dialog', { name: /^Delete/ });
  }

  /** Rows whose owner is the server `name`. */
  rowsOf(server: string): Locator {
    return this.page.locator(`[data-testid^="credential-row-"][data-server="${server}"]`);
  }

  async refresh(): Promise<void> {
    await this.page.getByTestId('credentials-refresh').click();
  }

  async openReveal(row: Locator): Promise<void> {
    await row.getByTestId('credential-reveal').click();
    await expect(this.revealModal).toBeVisible();
  }

  async openDelete(row: Locator): Promise<void> {
    await row.getByTestId('credential-delete').click();
    await expect(this.deleteModal).toBeVisible();
  }

  async dryRunRepair(): Promise<void> {
    await this.page.getByTestId('repair-check').click();
    await expect(this.repairReport).toBeVisible();
  }

  async screenshot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(ROOT, 'docs', 'screenshots', `${name}.png`), fullPage: false });
  }
}
