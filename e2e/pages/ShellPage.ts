import { expect, type Locator, type Page } from '@playwright/test';
import type { ServeInfo } from '../serve';

/** The app shell: open it, wait for readiness, move between areas, toggle the theme. */
export class ShellPage {
  readonly root: Locator;
  readonly main: Locator;
  readonly themeToggle: Locator;
  readonly headerMode: Locator;
  readonly navLinks: Locator;
  /** What the page says when it cannot reach the core (opened without its token, server gone). */
  readonly coreUnreachable: Locator;
  /** The shell's alert for deployments that need the responder (on every page but Deployments). */
  readonly deploymentNotices: Locator;
  readonly deploymentNoticesOpen: Locator;
  /** The count of those notices on the Deployments navigation link. */
  readonly deploymentsBadge: Locator;

  constructor(
    readonly page: Page,
    readonly server: ServeInfo,
  ) {
    this.root = page.locator('#root');
    this.main = page.locator('main');
    this.themeToggle = page.getByTestId('theme-toggle');
    this.headerMode = page.getByTestId('header-mode');
    this.navLinks = page.locator('[data-testid^="nav-"]');
    this.coreUnreachable = page.getByTestId('core-unreachable');
    this.deploymentNotices = page.getByTestId('app-deployment-notices');
    this.deploymentNoticesOpen = page.getByTestId('app-deployment-notices-open');
    this.deploymentsBadge = page.getByTestId('deployments-attention-badge');
  }

  /** The error boundary inside `scope` (present only when a page crashed). */
  errorBoundary(scope: Locator): Locator {
    return scope.getByTestId('error-boundary');
  }

  /** Opens the URL `megaraptor serve` printed (token in the fragment) and waits until ready. */
  async open(path = '/'): Promise<void> {
    const url = new URL(this.server.url);
    url.pathname = path;
    await this.page.goto(url.toString());
    await this.waitReady();
  }

  async waitReady(): Promise<void> {
    await expect(this.root).toHaveAttribute('data-app-state', 'ready');
  }

  navLink(id: string): Locator {
    return this.page.getByTestId(`nav-${id}`);
  }

  /** The content of area `id` (connections, clients, …). */
  area(id: string): Locator {
    return this.page.getByTestId(`page-${id}`);
  }

  async goTo(id: string): Promise<Locator> {
    await this.navLink(id).click();
    await expect(this.area(id)).toBeVisible();
    return this.area(id);
  }

  /** The color scheme Mantine applied to <html>. */
  async colorScheme(): Promise<string | null> {
    return this.page.locator('html').getAttribute('data-mantine-color-scheme');
  }
}
