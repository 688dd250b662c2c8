import { expect, type Locator, type Page } from '@playwright/test';

/** Page object for the Clients list's multi-select actions (collect on many, bulk labels) and the hex view. */
export class ClientsBulkPage {
  constructor(readonly page: Page) {}

  testId(id: string): Locator {
    return this.page.getByTestId(id);
  }

  async search(query: string): Promise<void> {
    await this.testId('client-search').getByRole('combobox').fill(query);
    await this.page.keyboard.press('Escape');
    await expect(this.testId('client-table').or(this.testId('no-clients'))).toBeVisible();
  }

  /** Rows of online clients of one OS (the simulator keeps online agents online). */
  onlineRows(os: string): Locator {
    return this.page
      .locator('[data-testid^="client-row-"]', { hasText: os })
      .filter({ has: this.page.getByText('online', { exact: true }) });
  }

  async idOf(row: Locator): Promise<string> {
    return (await row.getAttribute('data-testid'))!.replace('client-row-', '');
  }

  async expectSelected(n: number): Promise<void> {
    await expect(this.testId('selection-count')).toHaveText(`${n} selected`);
  }

  async pickArtifact(name: string): Promise<void> {
    await this.page.getByRole('textbox', { name: 'Search artifacts' }).fill(name);
    await this.testId(`artifact-${name}`).click();
  }
}
