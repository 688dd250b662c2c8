import type { Locator, Page } from '@playwright/test';
import { ArtifactPicker } from './ArtifactPicker';

/** The Hunts page: the wizard (artifacts, parameters, scope, review) and one hunt's dashboard. */
export class HuntsPage {
  readonly newHunt: Locator;
  readonly next: Locator;
  readonly review: Locator;
  readonly create: Locator;
  readonly dashboard: Locator;
  readonly state: Locator;
  readonly start: Locator;
  readonly stop: Locator;

  constructor(readonly page: Page) {
    this.newHunt = page.getByTestId('new-hunt');
    this.next = page.getByTestId('hunt-next');
    this.review = page.getByTestId('hunt-review');
    this.create = page.getByTestId('hunt-create');
    this.dashboard = page.getByTestId('hunt-dashboard');
    this.state = page.getByTestId('hunt-state');
    this.start = page.getByTestId('hunt-start');
    this.stop = page.getByTestId('hunt-stop');
  }

  async pickArtifact(name: string): Promise<void> {
    await new ArtifactPicker(this.page).pick(name);
  }

  /** A number on the dashboard: scheduled, finished, … */
  stat(name: string): Locator {
    return this.page.getByTestId(`stat-${name}`);
  }
}
