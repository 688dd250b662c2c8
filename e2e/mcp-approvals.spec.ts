/**
 * Approvals end to end in browser mode: the app connects to a simulator (an API config imported
 * through the Connections page and kept in the OS keychain, where the MCP endpoint finds it), an
 * MCP SDK client calls the app's HTTP endpoint with the token the Assistants page shows, a
 * call that changes the server or an endpoint (create_hunt, start_hunt, stop_hunt) opens the approval
 * dialog with the exact tool, arguments and plan, Approve lets it run, Deny answers APPROVAL_DENIED,
 * and the audit log shows the calls.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { keyringSession } from '../test/real-parts';
import { expect, test } from './fixtures';
import { AssistantsPage } from './pages/AssistantsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import { saveScreenshot } from './pages/screenshots';
import { startSimWithConfig, type SimWithConfig } from './sim';

let sim: SimWithConfig;

test.beforeAll(async () => {
  sim = await startSimWithConfig({ role: 'administrator', name: 'e2e-mcp' });
});

test.afterAll(() => sim?.stop());

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
  await shell.open('/connections');
  await new ConnectionsPage(page).importFile(sim.apiConfigFile, 'mcp lab');

  await shell.goTo('assistants');
  const assistants = new AssistantsPage(page);
  const url = await assistants.endpointUrl();
  const token = await assistants.revealToken();
  expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
  await assistants.hideToken.click();
  await expect(assistants.token).toHaveValue(/^•+$/);

  const client = new Client({ name: 'e2e-assistant', version: '1.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  try {
    // Creating a hunt creates server state (paused): it asks too, and the plan names the artifacts.
    const creating = client.callTool(
      {
        name: 'create_hunt',
        arguments: { description: 'e2e approval hunt', artifacts: ['Generic.Client.Info'] },
      },
      undefined,
      { timeout: 60_000 },
    );
    await expect(assistants.dialog).toBeVisible();
    await expect(assistants.approvalTool).toHaveText('create_hunt');
    await expect(assistants.approvalOperation).toContainText('Generic.Client.Info');
    await assistants.approve();
    const created = (await creating) as CallToolResult;
    expect(created.isError, text(created)).toBeFalsy();
    const huntId = (created.structuredContent as { hunt_id: string }).hunt_id;
    await expect(assistants.dialog).toBeHidden();

    // Approve: the dialog shows exactly what will run; the call succeeds after the click.
    const started = client.callTool({ name: 'start_hunt', arguments: { hunt_id: huntId } }, undefined, {
      timeout: 60_000,
    });
    await expect(assistants.dialog).toBeVisible();
    await expect(assistants.approvalTool).toHaveText('start_hunt');
    await expect(assistants.approvalArguments).toContainText(huntId);
    await expect(assistants.approvalClient).toContainText('e2e-assistant 1.0 (http)');
    await expect(assistants.approvalOperation).toContainText('hunt_update');
    await expect(assistants.approvalOperation).toContainText('Generic.Client.Info');
    await expect(assistants.approvalTimeLeft).toHaveText(/Refused automatically in \d+ s/);
    await saveScreenshot(page, 'assistants');
    await assistants.approve();
    const startedResult = (await started) as CallToolResult;
    expect(startedResult.isError, text(startedResult)).toBeFalsy();
    expect(startedResult.structuredContent).toMatchObject({ hunt_id: huntId, state: 'RUNNING' });

    // Deny: the assistant gets APPROVAL_DENIED with the reason, and the hunt keeps running.
    const stopped = client.callTool({ name: 'stop_hunt', arguments: { hunt_id: huntId } }, undefined, {
      timeout: 60_000,
    });
    await expect(assistants.approvalTool).toHaveText('stop_hunt');
    await assistants.deny('not during the sweep');
    const stoppedResult = (await stopped) as CallToolResult;
    expect(stoppedResult.isError).toBe(true);
    expect(text(stoppedResult)).toContain('APPROVAL_DENIED');
    // A call on a client names the machine beside its id.
    const found = text(
      (await client.callTool({ name: 'search_clients', arguments: { search: 'all' } })) as CallToolResult,
    );
    const [, clientId, hostname] = /"client_id":"(C\.[0-9a-z]+)","hostname":"([^"]+)"/i.exec(found) ?? [];
    expect(clientId, found.slice(0, 300)).toBeTruthy();
    const labelling = client.callTool(
      { name: 'label_client', arguments: { client_id: clientId, labels: ['e2e'], operation: 'add' } },
      undefined,
      { timeout: 60_000 },
    );
    await expect(assistants.approvalTool).toHaveText('label_client');
    await expect(assistants.approvalHosts).toContainText(`${hostname!} ${clientId!}`);
    await assistants.deny('wrong host');
    expect(((await labelling) as CallToolResult).isError).toBe(true);
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
  await expect(assistants.auditRow('create_hunt', 'approved')).toHaveCount(1);
  await expect(assistants.auditRow('get_hunt', 'not-required')).toHaveCount(1);
});
