/**
 * Runs @napi-rs/keyring on a worker thread. Measured here (keychain-store.int.test.ts): the
 * library's AsyncEntry *constructor* talks to D-Bus synchronously, so a Secret Service that does not
 * answer blocks the calling thread for the whole D-Bus reply timeout — the "async" API alone would
 * freeze the main process. On a worker only the worker waits; the store's timeout answers
 * KEYCHAIN_LOCKED and `reset()` terminates the stuck worker so the next call gets a fresh one.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { KeychainBackend, KeychainEntry } from './keychain-store';
import { asError } from '../../../shared/errors';

// Plain CommonJS evaluated in the worker: no separate file to ship or bundle.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const k = require(workerData.modulePath);
const options = workerData.pinSecretService ? { linux: { store: 'secret-service' } } : undefined;
parentPort.on('message', async (m) => {
  try {
    let value = null;
    if (m.op === 'accounts') {
      value = (await k.findCredentialsAsync(m.service)).map((c) => c.account);
    } else {
      const entry = new k.AsyncEntry(m.service, m.account, options);
      if (m.op === 'get') value = await entry.getPassword();
      else if (m.op === 'set') await entry.setPassword(m.value);
      else value = await entry.deletePassword();
    }
    parentPort.postMessage({ id: m.id, ok: true, value });
  } catch (err) {
    parentPort.postMessage({ id: m.id, ok: false, message: String((err && err.message) || err) });
  }
});
`;

type Op = 'get' | 'set' | 'delete' | 'accounts';
interface Reply {
  id: number;
  ok: boolean;
  value?: unknown;
  message?: string;
}
interface Pending {
  resolve(value: unknown): void;
  reject(e: Error): void;
}

export function keyringModulePath(): string {
  return createRequire(import.meta.url).resolve('@napi-rs/keyring');
}

export class WorkerKeychainBackend implements KeychainBackend {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  /** `modulePath` is resolved on first use, so a missing native module is a keychain error, not a crash. */
  constructor(
    private readonly modulePath?: string,
    private readonly pinSecretService: boolean = process.platform === 'linux',
  ) {}

  async entry(service: string, account: string): Promise<KeychainEntry> {
    return {
      getPassword: async () => (await this.call('get', service, account)) as string | null,
      setPassword: async (value: string) => void (await this.call('set', service, account, value)),
      deletePassword: async () => (await this.call('delete', service, account)) as boolean,
    };
  }

  async accounts(service: string): Promise<string[]> {
    return (await this.call('accounts', service, '')) as string[];
  }

  /** Terminates a worker stuck in a native call; pending calls fail, the next call starts a new one. */
  reset(): void {
    const w = this.worker;
    this.worker = undefined;
    this.failAll(new Error('keychain worker restarted after a timeout'));
    if (w) void w.terminate();
  }

  private call(op: Op, service: string, account: string, value?: string): Promise<unknown> {
    let worker: Worker;
    try {
      worker = this.ensureWorker();
    } catch (e) {
      return Promise.reject(asError(e));
    }
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, service, account, value });
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        modulePath: this.modulePath ?? keyringModulePath(),
        pinSecretService: this.pinSecretService,
      },
    });
    worker.unref(); // an idle keychain worker must not keep the CLI alive
    worker.on('message', (r: Reply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (r.ok) p.resolve(r.value);
      else p.reject(new Error(r.message ?? 'keychain error'));
    });
    worker.on('error', (e) => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(e);
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
      this.failAll(new Error('keychain worker exited'));
    });
    this.worker = worker;
    return worker;
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }
}
