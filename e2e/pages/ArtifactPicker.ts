import type { Page } from '@playwright/test';

/** The artifact picker the collect and hunt wizards share. */
export class ArtifactPicker {
  constructor(readonly page: Page) {}

  /** Searches for `search` (the name by default) and picks the artifact `name`. */
  async pick(name: string, search = name): Promise<void> {
    await this.page.getByRole('textbox', { name: 'Search artifacts' }).fill(search);
    await this.page.getByTestId(`artifact-${name}`).click();
  }
}
