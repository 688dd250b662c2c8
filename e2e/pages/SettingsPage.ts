import type { Locator, Page } from '@playwright/test';

/** Settings → About: the values the core reported through app:info. */
export class SettingsPage {
  readonly version: Locator;
  readonly mode: Locator;
  readonly platform: Locator;
  readonly dataDir: Locator;
  readonly keychain: Locator;
  readonly keychainBackend: Locator;
  readonly keychainDetail: Locator;

  constructor(readonly page: Page) {
    this.version = page.getByTestId('about-version');
    this.mode = page.getByTestId('about-mode');
    this.platform = page.getByTestId('about-platform');
    this.dataDir = page.getByTestId('about-data-dir');
    this.keychain = page.getByTestId('about-keychain');
    this.keychainBackend = page.getByTestId('about-keychain-backend');
    this.keychainDetail = page.getByTestId('about-keychain-detail');
  }
}
