/**
 * `app:info`: what the About/Settings view and tests show about the running core. The keychain is
 * probed once and the answer cached, because a probe writes to the keychain and may take seconds.
 */
import type { AppInfo } from '../../../shared/contracts/app';
import type { KeychainStatus } from '../credentials/index';

export interface AppInfoOptions {
  name: string;
  version: string;
  mode: AppInfo['mode'];
  dataDir: string;
  probeKeychain: () => Promise<KeychainStatus>;
}

export class AppInfoService {
  private keychain: Promise<KeychainStatus> | undefined;
  /** When this core started: the renderer says things "once per app start" by it. */
  private readonly startedAt = new Date().toISOString();

  constructor(private readonly options: AppInfoOptions) {}

  async info(): Promise<AppInfo> {
    this.keychain ??= this.options.probeKeychain();
    const keychain = await this.keychain;
    return {
      name: this.options.name,
      version: this.options.version,
      platform: process.platform,
      arch: process.arch,
      nodeVersion: process.versions.node,
      mode: this.options.mode,
      dataDir: this.options.dataDir,
      startedAt: this.startedAt,
      keychain,
    };
  }
}
