/** Public API of the app domain: the data folder, app info, and the main window's saved state. */
export { AppInfoService, type AppInfoOptions } from './app-info';
export { DATA_DIR_ENV, platformUserDataDir, resolveDataDir } from './data-dir';
export { DEFAULT_WINDOW_STATE, WindowState, WindowStateStore, type Rect } from './window-state';
