/**
 * Which frames may use the contract over IPC: only the top frame of our own renderer, loaded from
 * app://megaraptor (or, in development, the electron-vite dev server). Anything else — a navigated
 * frame, an iframe, a file:// page — is refused before the Dispatcher sees the call.
 */
export const APP_SCHEME = 'app';
export const APP_HOST = 'megaraptor';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;

export interface SenderFacts {
  /** The sender frame's URL; undefined when the frame is gone. */
  url: string | undefined;
  /** Whether the sender is the window's top frame. */
  isTopFrame: boolean;
}

function originOf(url: string): string | undefined {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return undefined;
  }
}

export function isTrustedSender(
  sender: SenderFacts,
  options: { devServerUrl?: string | undefined } = {},
): boolean {
  if (!sender.isTopFrame || sender.url === undefined) return false;
  const origin = originOf(sender.url);
  if (origin === undefined) return false;
  if (origin === APP_ORIGIN) return true;
  return options.devServerUrl !== undefined && origin === originOf(options.devServerUrl);
}

/** Links the renderer may open in the system browser: https only, exact prefixes. */
export function isAllowedExternalUrl(url: string, allowList: readonly string[]): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' || parsed.username !== '' || parsed.password !== '') return false;
  return allowList.some((allowed) => parsed.href === allowed);
}
