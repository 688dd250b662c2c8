import { expect, type Locator, type Page } from '@playwright/test';

/** Page object of the Credentials page: status banner, table, reveal/delete dialogs, repair report. */
export class CredentialsPage {
  readonly status: Locator;
  readonly table: Locator;
  readonly emptyState: Locator;
  readonly repairReport: Locator;
  readonly repairApply: Locator;
  readonly repairClean: Locator;
  readonly revealModal: Locator;
  readonly revealConfirm: Locator;
  /** The revealed value (masked until revealToggle). */
  readonly revealValue: Locator;
  readonly revealToggle: Locator;
  readonly deleteModal: Locator;
  readonly deleteConfirm: Locator;
  readonly goToConnections: Locator;
  // The file vault offered when no OS keychain answers.
  readonly vaultPassphrase: Locator;
  readonly vaultPassphraseConfirm: Locator;
  readonly vaultSubmit: Locator;

  constructor(readonly page: Page) {
    this.status = page.getByTestId('credentials-status');
    this.table = page.getByTestId('credentials-table');
    this.emptyState = page.getByTestId('area-empty-state');
    this.repairReport = page.getByTestId('repair-report');
    this.repairApply = page.getByTestId('repair-apply');
    this.repairClean = page.getByTestId('repair-clean');
    this.revealModal = page.getByRole('dialog', { name: /^Reveal/ });
    this.revealConfirm = this.revealModal.getByTestId('reveal-confirm');
    this.revealValue = this.revealModal.getByTestId('reveal-value');
    this.revealToggle = this.revealModal.getByTestId('reveal-toggle');
    this.deleteModal = page.getByRole('dialog', { name: /^Delete/ });
    this.deleteConfirm = this.deleteModal.getByTestId('delete-confirm');
    this.goToConnections = page.getByTestId('empty-go-connections');
    this.vaultPassphrase = page.getByTestId('vault-passphrase');
    this.vaultPassphraseConfirm = page.getByTestId('vault-passphrase-confirm');
    this.vaultSubmit = page.getByTestId('vault-submit');
  }

  /** The row of credential `id`. */
  row(id: string): Locator {
    return this.page.getByTestId(`credential-row-${id}`);
  }

  /** The credential id a row shows. */
  async idOf(row: Locator): Promise<string> {
    return (await row.getAttribute('data-testid'))!.replace('credential-row-', '');
  }

  /** Parts of one row: its expiry, its expiry badge, its fingerprint. */
  expiresOf(row: Locator): Locator {
    return row.getByTestId('credential-expires');
  }
  expiryBadgeOf(row: Locator): Locator {
    return row.getByTestId('expiry-badge');
  }
  fingerprintOf(row: Locator): Locator {
    return row.getByTestId('credential-fingerprint');
  }

  /** What repair reports about credential `id` (nothing when it is consistent). */
  repairFinding(id: string): Locator {
    return this.repairReport.getByTestId(`repair-finding-${id}`);
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
}
