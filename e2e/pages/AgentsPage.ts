import { expect, type Locator, type Page } from '@playwright/test';

/** Page object of the Agents page: the push wizard, the runs and a run's live table, the kits. */
export class AgentsPage {
  readonly newPush: Locator;
  readonly wizard: Locator;
  readonly next: Locator;
  readonly start: Locator;
  readonly problems: Locator;
  readonly error: Locator;
  readonly review: Locator;
  readonly run: Locator;
  readonly hosts: Locator;

  constructor(readonly page: Page) {
    this.newPush = page.getByTestId('agents-new');
    this.wizard = page.getByTestId('agent-wizard');
    this.next = this.wizard.getByTestId('agents-next');
    this.start = this.wizard.getByTestId('agents-start');
    this.problems = this.wizard.getByTestId('agents-problems');
    this.error = this.wizard.getByTestId('agents-error');
    this.review = this.wizard.getByTestId('agents-review');
    this.run = page.getByTestId('agent-run');
    this.hosts = page.getByTestId('run-hosts');
  }

  /** Picks `option` in the Mantine Select with test id `testId`. */
  async choose(testId: string, option: string): Promise<void> {
    await this.page.getByTestId(testId).click();
    await this.page.getByRole('option', { name: option }).click();
  }

  segment(label: string): Locator {
    return this.wizard.getByText(label, { exact: true });
  }

  hostRow(key: string): Locator {
    return this.page.getByTestId(`run-host-${key}`);
  }

  keyRow(key: string): Locator {
    return this.wizard.getByTestId(`hostkey-${key}`);
  }

  /** Stores a secret through the wizard's keychain flow of the picker `testId`. */
  async addSecret(testId: string, name: string, secret: string): Promise<void> {
    await this.page.getByTestId(`${testId}-add`).click();
    await this.page.getByTestId(`${testId}-name`).fill(name);
    await this.page.getByTestId(`${testId}-secret`).fill(secret);
    await this.page.getByTestId(`${testId}-save`).click();
    await expect(this.page.getByTestId(`${testId}-select`)).toHaveValue(name);
  }
}
