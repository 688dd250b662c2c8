/**
 * The main window and the rules every web contents follows: no navigation away from the app, no new
 * windows (allow-listed https links open in the system browser), no webviews.
 */
import { app, BrowserWindow, screen, shell, type WebContents } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WindowStateStore } from '../core/app/index';
import { APP_ORIGIN, isAllowedExternalUrl } from './sender';

/** External links the app may open. Each opener names its URL literally (reviewable at a glance). */
const EXTERNAL_LINKS: Record<string, () => Promise<void>> = {
  'https://docs.velociraptor.app/': () => shell.openExternal('https://docs.velociraptor.app/'),
  'https://github.com/Velocidex/velociraptor': () =>
    shell.openExternal('https://github.com/Velocidex/velociraptor'),
};

function openExternalIfAllowed(url: string): void {
  if (!isAllowedExternalUrl(url, Object.keys(EXTERNAL_LINKS))) return;
  const open = EXTERNAL_LINKS[url];
  if (open) open().catch((e: unknown) => console.error('megaraptor: cannot open external link', e));
}

function isAppUrl(url: string, devServerUrl: string | undefined): boolean {
  try {
    const origin = new URL(url).origin;
    return (
      url.startsWith(`${APP_ORIGIN}/`) ||
      (devServerUrl !== undefined && origin === new URL(devServerUrl).origin)
    );
  } catch {
    return false;
  }
}

/** Applied to every web contents the app ever creates (registered once in index.ts). */
export function hardenWebContents(contents: WebContents, devServerUrl: string | undefined): void {
  contents.on('will-navigate', (event, url) => {
    // In-app routes use the history API and never navigate; anything else is refused.
    if (!isAppUrl(url, devServerUrl)) event.preventDefault();
    else if (new URL(url).pathname !== new URL(contents.getURL() || url).pathname) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url, devServerUrl)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openExternalIfAllowed(url);
    return { action: 'deny' };
  });
}

export function createMainWindow(options: {
  stateStore: WindowStateStore;
  devServerUrl: string | undefined;
}): BrowserWindow {
  const state = options.stateStore.load(screen.getAllDisplays().map((d) => d.workArea));
  const preload = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'preload', 'index.cjs');
  const win = new BrowserWindow({
    ...(state.x !== undefined && state.y !== undefined ? { x: state.x, y: state.y } : {}),
    width: state.width,
    height: state.height,
    minWidth: 640,
    minHeight: 480,
    show: false,
    title: 'Megaraptor Desktop',
    backgroundColor: '#1a1b1e',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick',
    },
  });
  if (state.maximized) win.maximize();
  win.once('ready-to-show', () => win.show());

  // Remember the normal (unmaximized) bounds so un-maximizing next time restores them.
  win.on('close', () => {
    try {
      const b = win.getNormalBounds();
      options.stateStore.save({
        x: b.x,
        y: b.y,
        width: Math.max(640, b.width),
        height: Math.max(480, b.height),
        maximized: win.isMaximized(),
      });
    } catch (e) {
      console.error('megaraptor: cannot save window state', e);
    }
  });

  const url = options.devServerUrl ?? `${APP_ORIGIN}/index.html`;
  win.loadURL(url).catch((e: unknown) => {
    console.error('megaraptor: cannot load the UI', e);
    app.exit(1);
  });
  return win;
}
