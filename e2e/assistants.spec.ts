/**
 * Assistants that connect the first time (issue 14, item 5): every snippet on the Assistants page
 * works as pasted, or says on the page why it cannot; "Test this snippet" runs it as an assistant
 * would and shows the MCP handshake. Each test sets up the connection it needs.
 */
import type { Page } from '@playwright/test';
import { keyringSession } from '../test/real-parts';
import { expect, test } from './fixtures';
import { AssistantsPage } from './pages/AssistantsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';
import type { ShellPage } from './pages/ShellPage';
import { startSimWithConfig, type SimWithConfig } from './sim';

let sim: SimWithConfig;
test.beforeAll(async () => {
  sim = await startSimWithConfig({ role: 'investigator', name: 'e2e-assistants' });
});
test.afterAll(() => sim?.stop());

async function openAssistants(shell: ShellPage, page: Page): Promise<AssistantsPage> {
  await shell.open('/assistants');
  const a = new AssistantsPage(page);
  await expect(a.status).toHaveText('running');
  return a;
}

test('with the demo active, the stdio snippets say why they cannot work; the HTTP snippet tests green', async ({
  shell,
  page,
}) => {
  await shell.open('/connections');
  const connections = new ConnectionsPage(page);
  await connections.ensureDemo();
  await connections.use('demo-simulator');
  const a = await openAssistants(shell, page);

  await expect(a.snippetRefused('claudeDesktop')).toContainText('demo simulator, which runs inside this app');
  await expect(a.snippetTest('claudeDesktop')).toBeDisabled();
  await a.snippetTab('Command (stdio)');
  await expect(a.snippetRefused('stdio')).toContainText('another process');

  await a.snippetTab('Claude Code');
  await expect(a.snippet('claudeCode')).toContainText(await a.endpointUrl());
  await a.snippetTest('claudeCode').click();
  await expect(a.snippetResult('claudeCode')).toHaveText('works', { timeout: 30_000 });
  await expect(a.snippetSteps('claudeCode')).toContainText('handshake: initialize answered by megaraptor');
  await expect(a.snippetSteps('claudeCode')).toContainText(/tools: \d+ tools listed/);
});

test('a server saved in the keychain: the stdio command carries the data folder and runs as pasted', async ({
  shell,
  page,
  server,
}) => {
  keyringSession().skipOrFail((skip, why) => test.skip(skip, why));
  await shell.open('/connections');
  const connections = new ConnectionsPage(page);
  await connections.importFile(sim.apiConfigFile, 'lab');
  await connections.use('lab');
  const a = await openAssistants(shell, page);
  await a.snippetTab('Command (stdio)');
  await expect(a.snippet('stdio')).toContainText(`mcp --stdio --data-dir ${server.dataDir} --connection lab`);
  await a.snippetTest('stdio').click();
  await expect(a.snippetResult('stdio')).toHaveText('works', { timeout: 60_000 });
  await expect(a.snippetSteps('stdio')).toContainText('handshake: initialize answered by megaraptor');
});
