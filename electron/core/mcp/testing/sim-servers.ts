/**
 * MCP tests run their tools against the simulator (real gRPC, mTLS, the VQL engine): this binds the
 * MCP servers seam to a running simulator, with an administrator identity ('sim') and the
 * least-privilege one read-only VQL runs as ('mcp-reader', roles: api), and prepares the ids the
 * tools' example arguments refer to.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toCsv } from '../../../../shared/csv';
import { runStandInCollector, type RunningSimulator } from '../../sim/index';
import { loadApiConfig } from '../../velociraptor/config/api-config';
import { ConnectionRegistry } from '../../velociraptor/registry';
import type { VelociraptorService } from '../../velociraptor';
import { ReadOnlyIdentities } from '../read-only-identity';
import { RegistryServers } from '../servers';
import type { ExampleIds } from '../tool-kit';

export interface SimServers {
  servers: RegistryServers;
  /** The read-only identity of 'sim' (pass it to makeHarness as `readOnly`). */
  readOnly: ReadOnlyIdentities;
  registry: ConnectionRegistry;
  /** The administrator's service on the default server (for a test's own setup and checks). */
  admin: VelociraptorService;
  close(): void;
}

export async function simServers(sim: RunningSimulator): Promise<SimServers> {
  const registry = new ConnectionRegistry();
  registry.addConfig('sim', loadApiConfig(await sim.mintApiConfig('mcp-admin', ['administrator'])));
  const reader = await sim.mintApiConfig('mcp-reader', ['api']);
  const servers = new RegistryServers({ registry, defaultServer: () => 'sim' });
  const readOnly = new ReadOnlyIdentities({
    source: { get: async (name) => (name === 'sim' ? reader : undefined) },
    defaultServer: () => 'sim',
  });
  return {
    servers,
    readOnly,
    registry,
    admin: await servers.service({}),
    close: () => {
      readOnly.close();
      registry.close();
    },
  };
}

export const EXAMPLE_ARTIFACT = 'Windows.Search.FileFinder';

/**
 * Data for every tool's example: an online Windows client, a finished collection on it that
 * uploaded files (its first upload is `vfsPath`), and a paused hunt.
 */
export async function exampleIds(svc: VelociraptorService, folder: string): Promise<ExampleIds> {
  const win = (await svc.searchClients({ search: 'all', onlineOnly: true, limit: 200 })).find(
    (c) => c.os === 'windows',
  );
  if (!win) throw new Error('The simulator dataset has no online Windows client.');
  const collected = await svc.collectAndWait(
    {
      clientId: win.clientId,
      artifacts: [EXAMPLE_ARTIFACT],
      parameters: {
        [EXAMPLE_ARTIFACT]: { SearchFilesGlobTable: toCsv([{ Glob: 'C:/Users/**' }]), Upload_File: 'Y' },
      },
      urgent: true,
    },
    { timeoutMs: 60_000, pollMs: 100 },
  );
  const upload = (await svc.listUploads(win.clientId, collected.flowId))[0];
  if (!upload) throw new Error('The example collection uploaded no file.');
  const hunt = await svc.createHunt({ description: 'MCP example hunt', artifacts: ['Generic.Client.Info'] });
  // A tool file for the collector build, and a returned collection (the simulator's stand-in collector
  // run on a host named mcp-offline-1) for the import.
  const kit = join(folder, 'example-kit');
  await mkdir(kit, { recursive: true });
  const toolFile = join(kit, 'velociraptor-v0.77.2-linux-amd64-musl');
  await writeFile(toolFile, 'stand-in Linux binary for the simulator');
  const collector = join(kit, 'collector');
  await writeFile(
    collector,
    `STAND-IN FILE\nParameters: ${JSON.stringify({ OS: 'Linux', artifacts: '["Generic.Client.Info"]' })}\n`,
  );
  const collectionZip = await runStandInCollector(collector, { outDir: kit, hostname: 'mcp-offline-1' });
  // An MSI-headed file standing in for a repacked MSI (no official MSI can be fetched in tests).
  const msiFile = join(kit, 'velociraptor-v0.77.2-windows-amd64-repacked.msi');
  await writeFile(msiFile, Buffer.concat([Buffer.from('d0cf11e0a1b11ae1', 'hex'), Buffer.alloc(4096)]));
  return {
    clientId: win.clientId,
    flowId: collected.flowId,
    huntId: hunt.huntId,
    source: EXAMPLE_ARTIFACT,
    folder,
    vfsPath: upload.vfsPath,
    toolFile,
    collectionZip,
    msiFile,
  };
}
