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

  /** Rows whose credential is called exactly `name`. */
  rowsNamed(name: string): Locator {
    return this.page
      .locator('[data-testid^="credential-row-"]')
      .filter({ has: this.page.getByText(name, { exact: true }) });
  }

  /**
   * How many credentials the page lists in all (0 when it shows the empty state), once loaded. Specs
   * compare it before and after what they do: the app lists its own credentials too (the MCP token).
   */
  async total(): Promise<number> {
    const total = this.page.getByTestId('credentials-total');
    await expect(total.filter({ hasText: /^\d+ credential/ }).or(this.emptyState)).toBeVisible();
    if (await this.emptyState.isVisible()) return 0;
    return Number(/^(\d+) credential/.exec(await total.innerText())?.[1]);
  }

  /** Expects the list to say `n` credentials in all. */
  async expectTotal(n: number): Promise<void> {
    await expect(this.page.getByTestId('credentials-total')).toHaveText(new RegExp(`^${n} credentials?\\b`));
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
