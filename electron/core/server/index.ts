/** Public API of browser mode: the loopback HTTP + WebSocket server and the renderer's assets. */
export { isLoopbackHost, startBrowserServer, type BrowserServer, type BrowserServerOptions } from './server';
export { RendererAssets, type AssetResponse } from './renderer-assets';
