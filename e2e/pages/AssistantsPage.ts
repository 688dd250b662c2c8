import { expect, type Locator, type Page } from '@playwright/test';

/** The Assistants (MCP) page: endpoint, token, approval dialog and audit log. */
export class AssistantsPage {
  readonly status: Locator;
  readonly url: Locator;
  readonly token: Locator;
  readonly revealTokenButton: Locator;
  readonly hideToken: Locator;
  readonly dialog: Locator;
  // What the approval dialog shows of the waiting call.
  readonly approvalTool: Locator;
  readonly approvalArguments: Locator;
  readonly approvalClient: Locator;
  /** Host name and id of each client the call names. */
  readonly approvalHosts: Locator;
  readonly approvalOperation: Locator;
  readonly approvalTimeLeft: Locator;
  readonly audit: Locator;

  constructor(readonly page: Page) {
    this.status = page.getByTestId('mcp-status');
    this.url = page.getByTestId('mcp-url');
    this.token = page.getByTestId('mcp-token');
    this.revealTokenButton = page.getByRole('button', { name: 'Reveal token' });
    this.hideToken = page.getByRole('button', { name: 'Hide token' });
    this.dialog = page.getByRole('dialog', { name: /Approve an assistant action/ });
    this.approvalTool = this.dialog.getByTestId('approval-tool');
    this.approvalArguments = this.dialog.getByTestId('approval-arguments');
    this.approvalClient = this.dialog.getByTestId('approval-client');
    this.approvalHosts = this.dialog.getByTestId('approval-hosts');
    this.approvalOperation = this.dialog.getByTestId('approval-operation');
    this.approvalTimeLeft = this.dialog.getByTestId('approval-time-left');
    this.audit = page.getByTestId('mcp-audit');
  }

  /** A tab of "Connect an assistant" (Claude Desktop, Claude Code, Other clients (HTTP), Command (stdio)). */
  async snippetTab(label: string): Promise<void> {
    await this.page.getByRole('tab', { name: label }).click();
  }
  /** One snippet's text, the reason it is refused instead, its warning, its test button and what the test found. */
  snippet(id: string): Locator {
    return this.page.getByTestId(`snippet-${id}`);
  }
  snippetRefused(id: string): Locator {
    return this.page.getByTestId(`snippet-refused-${id}`);
  }
  snippetTest(id: string): Locator {
    return this.page.getByTestId(`snippet-test-${id}`);
  }
  snippetResult(id: string): Locator {
    return this.page.getByTestId(`snippet-result-${id}`);
  }
  snippetSteps(id: string): Locator {
    return this.page.getByTestId(`snippet-steps-${id}`);
  }

  async endpointUrl(): Promise<string> {
    await expect(this.status).toHaveText('running');
    await expect(this.url).toHaveValue(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    return this.url.inputValue();
  }

  /** Reveals the token (hidden by default) and reads it. */
  async revealToken(): Promise<string> {
    await expect(this.token).toHaveValue(/^•+$/);
    await this.revealTokenButton.click();
    await expect(this.token).not.toHaveValue(/•/);
    return this.token.inputValue();
  }

  async approve(): Promise<void> {
    await this.dialog.getByRole('button', { name: 'Approve' }).click();
    await expect(this.dialog).toBeHidden();
  }

  async deny(reason: string): Promise<void> {
    await this.dialog.getByLabel(/Reason/).fill(reason);
    await this.dialog.getByRole('button', { name: 'Deny' }).click();
    await expect(this.dialog).toBeHidden();
  }

  auditRow(name: string, approval: string): Locator {
    return this.audit.getByTestId('mcp-audit-row').filter({ hasText: name }).filter({ hasText: approval });
  }
}
