/**
 * Approvals end to end in browser mode: the app connects to a simulator (an API config imported
 * through the Connections page and kept in the OS keychain, where the MCP endpoint finds it), an
 * MCP SDK client calls the app's HTTP endpoint with the token the Assistants page shows, a
 * destructive call (start_hunt, stop_hunt) opens the approval dialog with the exact tool, arguments
 * and plan, Approve lets it run, Deny answers APPROVAL_DENIED, and the audit log shows the calls.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { keyringSession } from '../test/real-parts';
import { expect, test } from './fixtures';
import { AssistantsPage } from './pages/AssistantsPage';
import { InvestigationPage } from './pages/InvestigationPage';
import { CLI, ROOT } from './serve';

let sim: ChildProcess | undefined;
let apiConfigFile = '';

test.beforeAll(async () => {
  apiConfigFile = join(mkdtempSync(join(tmpdir(), 'mr-mcp-e2e-')), 'api.config.yaml');
  sim = spawn(
    process.execPath,
    [CLI, 'sim', '--write-api-config', apiConfigFile, '--role', 'administrator', '--name', 'e2e-mcp'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const deadline = Date.now() + 20_000;
  while (!existsSync(apiConfigFile) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(existsSync(apiConfigFile)).toBe(true);
});

test.afterAll(() => {
  sim?.kill('SIGTERM');
});

function text(r: CallToolResult): string {
  return r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

test('a destructive MCP call waits for the dialog; approve runs it, deny refuses it; the audit log shows both', async ({
  shell,
  page,
}) => {
  test.setTimeout(120_000);
  // The endpoint serves the connections saved in the keychain; without one there is nothing to serve.
  keyringSession().skipOrFail((skip, why) => test.skip(skip, why));
  const inv = new InvestigationPage(page);
  await shell.open('/connections');
  await page.locator('input[type="file"]').setInputFiles(apiConfigFile);
  await expect(inv.testId('config-yaml')).toHaveValue(/api_connection_string/);
  await inv.testId('config-name').fill('mcp lab');
  await inv.testId('import-submit').click();
  await expect(inv.testId('connection-mcp lab')).toBeVisible();

  await shell.goTo('assistants');
  const assistants = new AssistantsPage(page);
  const url = await assistants.endpointUrl();
  const token = await assistants.revealToken();
  expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  await page.getByRole('button', { name: 'Hide token' }).click();
  await expect(assistants.token).toHaveValue(/^•+$/);

  const client = new Client({ name: 'e2e-assistant', version: '1.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  try {
    // Creating a hunt does not touch endpoints (it is created paused): no approval.
    const created = (await client.callTool({
      name: 'create_hunt',
      arguments: { description: 'e2e approval hunt', artifacts: ['Generic.Client.Info'] },
    })) as CallToolResult;
    expect(created.isError, text(created)).toBeFalsy();
    const huntId = (created.structuredContent as { hunt_id: string }).hunt_id;
    await expect(assistants.dialog).toBeHidden();

    // Approve: the dialog shows exactly what will run; the call succeeds after the click.
    const started = client.callTool({ name: 'start_hunt', arguments: { hunt_id: huntId } }, undefined, {
      timeout: 60_000,
    });
    await expect(assistants.dialog).toBeVisible();
    await expect(assistants.dialog.getByTestId('approval-tool')).toHaveText('start_hunt');
    await expect(assistants.dialog.getByTestId('approval-arguments')).toContainText(huntId);
    await expect(assistants.dialog.getByTestId('approval-client')).toContainText('e2e-assistant 1.0 (http)');
    await expect(assistants.dialog.getByTestId('approval-operation')).toContainText('hunt_update');
    await expect(assistants.dialog.getByTestId('approval-operation')).toContainText('Generic.Client.Info');
    await expect(assistants.dialog.getByTestId('approval-time-left')).toHaveText(
      /Refused automatically in \d+ s/,
    );
    await page.screenshot({ path: join(ROOT, 'docs', 'screenshots', 'assistants.png') });
    await assistants.approve();
    const startedResult = (await started) as CallToolResult;
    expect(startedResult.isError, text(startedResult)).toBeFalsy();
    expect(startedResult.structuredContent).toMatchObject({ hunt_id: huntId, state: 'RUNNING' });

    // Deny: the assistant gets APPROVAL_DENIED with the reason, and the hunt keeps running.
    const stopped = client.callTool({ name: 'stop_hunt', arguments: { hunt_id: huntId } }, undefined, {
      timeout: 60_000,
    });
    await expect(assistants.dialog.getByTestId('approval-tool')).toHaveText('stop_hunt');
    await assistants.deny('not during the sweep');
    const stoppedResult = (await stopped) as CallToolResult;
    expect(stoppedResult.isError).toBe(true);
    expect(text(stoppedResult)).toContain('APPROVAL_DENIED');
    const hunt = (await client.callTool({
      name: 'get_hunt',
      arguments: { hunt_id: huntId },
    })) as CallToolResult;
    expect(hunt.structuredContent).toMatchObject({ hunt: { state: 'RUNNING' } });
  } finally {
    await client.close();
  }

  // The audit log on the page shows the calls live, with their approval outcome.
  await expect(assistants.auditRow('start_hunt', 'approved')).toHaveCount(1);
  await expect(assistants.auditRow('stop_hunt', 'denied')).toContainText('APPROVAL_DENIED');
  await expect(assistants.auditRow('create_hunt', 'not-required')).toHaveCount(1);
  await expect(assistants.auditRow('get_hunt', 'not-required')).toHaveCount(1);
});
