/**
 * Parameters checked before launch (issue 14, item 6), in the collect wizard against the demo
 * server: a regex RE2 cannot compile is marked at its field and Next/Launch stay disabled; a CPU
 * limit of 150 is an error at the field, not silently 100. The MCP tools refuse the same values
 * (electron/core/mcp/approval-plans.test.ts); both use shared/params.ts.
 */
import { expect, test } from './fixtures';
import { ClientsPage } from './pages/ClientsPage';
import { ConnectionsPage } from './pages/ConnectionsPage';

test('a broken regex and an out-of-range CPU limit are named at their fields and block the launch', async ({
  shell,
  page,
}) => {
  await shell.open('/connections');
  await new ConnectionsPage(page).ensureDemo();
  await shell.open('/clients');
  const clients = new ClientsPage(page);
  await clients.openFirstClient('linux');
  await clients.collectButton.click();
  await clients.pickArtifact('Linux.Sys.Pslist', 'Linux.Sys.Pslist');
  await clients.collectNext.click();

  const regex = clients.parameterStep.getByRole('textbox', { name: 'processRegex' });
  await regex.fill('bash(?=$)');
  await expect(regex).toHaveAccessibleDescription(/Not a valid RE2 regex: lookahead/);
  await expect(regex).toHaveAttribute('aria-invalid', 'true');
  await expect(clients.collectNext).toBeDisabled();
  await regex.fill('(unclosed');
  await expect(regex).toHaveAccessibleDescription(/Not a valid regex/);
  await regex.fill('^(bash|sshd)$');
  await expect(clients.collectNext).toBeEnabled();

  const cpu = clients.parameterStep.getByRole('textbox', { name: 'CPU limit (%)' });
  await cpu.fill('150');
  await cpu.blur();
  await expect(cpu).toHaveValue('150');
  await expect(cpu).toHaveAccessibleDescription(/The CPU limit \(percent\) must be between 0 and 100\./);
  await expect(clients.collectNext).toBeDisabled();
  await cpu.fill('50');
  await expect(clients.collectNext).toBeEnabled();
  await clients.collectNext.click();
  await expect(clients.collectReview).toContainText('processRegex=^(bash|sshd)$');
  await expect(clients.collectLaunch).toBeEnabled();
});
