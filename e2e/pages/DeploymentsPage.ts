import { expect, type Locator, type Page } from '@playwright/test';

/** Page object of the Deployments page and its wizard: list, details, actions, wizard steps, progress, result. */
export class DeploymentsPage {
  readonly table: Locator;
  readonly interrupted: Locator;
  readonly newDeployment: Locator;
  readonly detail: Locator;
  readonly confirmModal: Locator;
  readonly confirmRun: Locator;
  readonly confirmError: Locator;
  readonly destroyModal: Locator;
  readonly destroyRun: Locator;
  // The wizard.
  readonly wizard: Locator;
  readonly next: Locator;
  readonly back: Locator;
  readonly deploy: Locator;
  readonly close: Locator;
  readonly wizardError: Locator;
  readonly problems: Locator;
  readonly review: Locator;
  readonly reviewWarnings: Locator;
  readonly progress: Locator;
  readonly progressLog: Locator;
  readonly timeline: Locator;
  readonly resultRun: Locator;
  readonly result: Locator;
  readonly resultReveal: Locator;
  readonly resultAdminUser: Locator;
  readonly resultConnection: Locator;
  /** The next step: the Agents wizard for the new server. */
  readonly resultGoAgents: Locator;
  // The settings step.
  readonly name: Locator;
  readonly binarySource: Locator;
  readonly binaryPath: Locator;
  readonly releaseTag: Locator;

  constructor(readonly page: Page) {
    this.table = page.getByTestId('deployments-table');
    this.interrupted = page.getByTestId('deployments-interrupted');
    this.newDeployment = page.getByTestId('deploy-new');
    this.detail = page.getByTestId('deployment-detail');
    this.confirmModal = page.getByTestId('confirm-modal');
    this.confirmRun = page.getByTestId('confirm-run');
    this.confirmError = page.getByTestId('confirm-error');
    this.destroyModal = page.getByTestId('destroy-modal');
    this.destroyRun = page.getByTestId('destroy-run');
    this.wizard = page.getByTestId('deploy-wizard');
    this.next = this.wizard.getByTestId('wizard-next');
    this.back = this.wizard.getByTestId('wizard-back');
    this.deploy = this.wizard.getByTestId('wizard-deploy');
    this.close = this.wizard.getByTestId('wizard-close');
    this.wizardError = this.wizard.getByTestId('wizard-error');
    this.problems = this.wizard.getByTestId('wizard-problems');
    this.review = this.wizard.getByTestId('wizard-review');
    this.reviewWarnings = this.wizard.getByTestId('review-warnings');
    this.progress = this.wizard.getByTestId('progress-view');
    this.progressLog = this.wizard.getByTestId('progress-log');
    this.timeline = this.wizard.getByTestId('progress-timeline');
    this.resultRun = this.wizard.getByTestId('result-run');
    this.result = this.wizard.getByTestId('deploy-result');
    this.resultReveal = this.wizard.getByTestId('result-reveal');
    this.resultAdminUser = this.wizard.getByTestId('result-admin-user');
    this.resultConnection = this.wizard.getByTestId('result-connection');
    this.resultGoAgents = this.wizard.getByTestId('result-go-agents');
    this.name = this.wizard.getByTestId('settings-name');
    this.binarySource = this.wizard.getByTestId('settings-binary-source');
    this.binaryPath = this.wizard.getByTestId('settings-binary-path');
    this.releaseTag = this.wizard.getByTestId('settings-release-tag');
  }

  target(id: 'docker' | 'ssh' | 'lab' | 'aws' | 'azure'): Locator {
    return this.wizard.getByTestId(`wizard-target-${id}`);
  }

  profile(name: 'rapid' | 'standard' | 'enterprise'): Locator {
    return this.wizard.getByTestId(`wizard-profile-${name}`);
  }

  reviewStep(id: string): Locator {
    return this.wizard.getByTestId(`review-step-${id}`);
  }

  step(id: string): Locator {
    return this.wizard.getByTestId(`progress-step-${id}`);
  }

  resultUrl(key: 'guiUrl' | 'frontendUrl' | 'apiEndpoint'): Locator {
    return this.wizard.getByTestId(`result-url-${key}`);
  }

  /** The rows of deployments called `name`. */
  rowsNamed(name: string): Locator {
    return this.table.locator('[data-testid^="deployment-row-"]').filter({ hasText: name });
  }

  stateOf(row: Locator): Locator {
    return row.getByTestId('deployment-state');
  }

  countdownOf(row: Locator): Locator {
    return row.getByTestId('deployment-countdown');
  }

  action(row: Locator, action: string): Locator {
    return row.getByTestId(`deployment-${action}`);
  }

  /** Opens the actions menu of a deployed deployment's row and picks `item` (`destroy`, `restart`, …). */
  async menuAction(row: Locator, item: string): Promise<void> {
    await row.getByTestId('deployment-actions').click();
    const entry = this.page.getByTestId(item === 'destroy' ? 'deployment-destroy' : `action-${item}`);
    await expect(entry).toBeVisible();
    await entry.click();
  }

  /** The detail drawer of a row. */
  async openDetail(row: Locator): Promise<Locator> {
    await row.locator('td').first().click();
    await expect(this.detail).toBeVisible();
    return this.detail;
  }

  /** Opens the wizard and picks target and profile (and its self-destruction time, when given). */
  async start(
    target: 'docker' | 'ssh' | 'lab' | 'aws' | 'azure',
    profile: 'rapid' | 'standard' | 'enterprise',
    options: { autoDestroyHours?: number } = {},
  ): Promise<void> {
    await this.newDeployment.click();
    await expect(this.wizard).toBeVisible();
    await this.target(target).click();
    await this.next.click();
    await this.profile(profile).click();
    await expect(this.profile(profile)).toHaveAttribute('data-selected', 'true');
    if (options.autoDestroyHours !== undefined)
      await this.wizard.getByTestId('wizard-auto-destroy').fill(String(options.autoDestroyHours));
    await this.next.click();
    await expect(this.name).toBeVisible();
  }

  /** Chooses "a binary I have" at `path`. */
  async useBinaryFile(path: string): Promise<void> {
    await this.binarySource.getByText('A binary I have').click();
    await this.binaryPath.fill(path);
  }
}
