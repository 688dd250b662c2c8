/**
 * Where the Electron binary is, decided by the same checks `npm start` uses (scripts/electron-binary.mjs)
 * without requiring the electron package: requiring it starts a download when the binary is missing,
 * and these machines have no network. Returns undefined (with the reason) when there is none.
 */
import { electronState } from '../../scripts/electron-binary.mjs';

export function electronBinary(): { path?: string; reason?: string } {
  const s = electronState();
  return s.state === 'present'
    ? { path: s.path }
    : { reason: `no Electron binary (${s.reason}; \`npm start\` downloads it)` };
}
