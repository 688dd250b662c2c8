/**
 * Where a verified deployment lands: the app's connections (connections/ConnectionManager), reached
 * through this small port so deployers do not depend on the connections domain's internals and tests
 * can watch what was added. Adding the connection is a journaled resource (kind `connection`), so a
 * destroy or a clean-up also removes it — and with it the API config it saved in the keychain.
 */
import type { ResourceRef } from '../../../shared/deploy';
import type { ConnectionManager } from '../connections/index';
import type { RemoveContext, ResourceRemover } from './model';

export interface ConnectionSink {
  has(name: string): Promise<boolean>;
  /** Saves the API config (keychain) and lists the server among the responder's connections. */
  import(input: { name: string; yaml: string; storage: 'keychain' | 'session' }): Promise<unknown>;
  /** Forgets the server and deletes its saved API config; false when it was not there. */
  remove(name: string): Promise<boolean>;
  /**
   * Saves a new API config under the same name (a renewed identity, a moved endpoint), keeping the
   * server selected if it was.
   */
  replace(input: { name: string; yaml: string }): Promise<void>;
}

export function connectionSink(manager: ConnectionManager): ConnectionSink {
  return {
    has: async (name) => (await manager.list()).connections.some((c) => c.name === name),
    import: (input) => manager.import(input),
    remove: (name) => manager.remove(name),
    replace: async ({ name, yaml }) => {
      const { active } = await manager.list();
      await manager.remove(name);
      await manager.import({ name, yaml, storage: 'keychain' });
      if (active?.server === name) await manager.select(active);
    },
  };
}

export class ConnectionRemover implements ResourceRemover {
  readonly kinds = ['connection'] as const;

  constructor(private readonly sink: ConnectionSink) {}

  async remove(ref: ResourceRef, ctx: RemoveContext): Promise<void> {
    const removed = await this.sink.remove(ref.id);
    ctx.log(removed ? `Removed the connection "${ref.id}"` : `The connection "${ref.id}" was already gone`);
  }
}
