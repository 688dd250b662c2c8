import { expect, test } from './fixtures';
import { SettingsPage } from './pages/SettingsPage';
import { callOver, openSocket } from './ws-client';

test('app:info round-trips: the UI shows what the core reports', async ({ shell, server, page }) => {
  const ws = await openSocket(server);
  const envelope = await callOver(ws, 'app:info', {});
  ws.close();
  expect(envelope.ok).toBe(true);
  if (!envelope.ok) return;
  const info = envelope.value as {
    version: string;
    mode: string;
    platform: string;
    arch: string;
    dataDir: string;
    keychain: { available: boolean; backend: string; detail?: string };
  };
  expect(info.mode).toBe('browser');
  expect(info.dataDir).toBe(server.dataDir);

  await shell.open();
  await shell.goTo('settings');
  const settings = new SettingsPage(page);
  await expect(settings.version).toHaveText(info.version);
  await expect(settings.mode).toHaveText('Browser mode');
  await expect(settings.platform).toContainText(`${info.platform} ${info.arch}`);
  await expect(settings.dataDir).toHaveText(server.dataDir);
  await expect(settings.keychain).toHaveText(info.keychain.available ? 'available' : 'unavailable');
  await expect(settings.keychainBackend).toHaveText(info.keychain.backend);
  if (info.keychain.detail) await expect(settings.keychainDetail).toHaveText(info.keychain.detail);
});
