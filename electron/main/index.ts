/**
 * Electron composition root: hardening, the app:// protocol serving the renderer, the IPC adapter,
 * and the main window. Everything else is the Electron-free core (electron/core/services.ts).
 */
import { app, BrowserWindow, protocol, session } from 'electron';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contract } from '../../shared/contracts/index';
import { DATA_DIR_ENV, WindowStateStore } from '../core/app/index';
import { Dispatcher } from '../core/rpc/index';
import { RendererAssets } from '../core/server/index';
import { createCoreServices, type CoreServices } from '../core/services';
import { installIpc } from './ipc';
import { APP_HOST, APP_SCHEME } from './sender';
import { createMainWindow, hardenWebContents } from './window';

// Dev server only in development builds: a packaged app never loads remote code.
const devServerUrl = !app.isPackaged ? process.env.ELECTRON_RENDERER_URL : undefined;

// Tests isolate Chromium's own profile too, not only our files.
const dataDirOverride = process.env[DATA_DIR_ENV];
if (dataDirOverride) app.setPath('userData', dataDirOverride);

app.enableSandbox();
protocol.registerSchemesAsPrivileged([
  {
    scheme: APP_SCHEME,
    privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true },
  },
]);

let core: CoreServices | undefined;
let mainWindow: BrowserWindow | undefined;

if (!app.requestSingleInstanceLock()) {
  // Another instance owns the data dir; it gets focused through 'second-instance'.
  app.quit();
} else {
  app.on('second-instance', () => {
    if (!mainWindow || mainWindow.isDestroyed()) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, devServerUrl));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('will-quit', () => {
    void core?.dispose();
  });
  app.whenReady().then(start, (e: unknown) => {
    console.error('megaraptor: Electron failed to start', e);
    app.exit(1);
  });
}

async function start(): Promise<void> {
  core = createCoreServices({
    mode: 'electron',
    version: app.getVersion(),
    userDataFallback: app.getPath('userData'),
  });
  const dispatcher = new Dispatcher(contract, core.handlers);

  // Deny every permission (camera, notifications, geolocation, ...): the app needs none.
  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  const rendererDir = join(fileURLToPath(new URL('.', import.meta.url)), '..', 'renderer');
  const assets = new RendererAssets(rendererDir);
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return new Response('Not found', { status: 404 });
    const r = await assets.get(url.pathname);
    return new Response(new Uint8Array(r.body), { status: r.status, headers: r.headers });
  });

  installIpc(dispatcher, { devServerUrl });
  mainWindow = createMainWindow({ stateStore: new WindowStateStore(core.dataDir), devServerUrl });
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) {
      mainWindow = createMainWindow({ stateStore: new WindowStateStore(core!.dataDir), devServerUrl });
    }
  });
}
