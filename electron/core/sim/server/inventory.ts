/**
 * The tool inventory (VR vql/server/inventory.go, services/inventory): `inventory()` rows with the
 * Tool record's fields as a real 0.77.2 server lists them, and `inventory_add()` (SERVER_ADMIN) that,
 * given `file=`, stores the file, computes its sha256 into `hash` and serves it locally. The seeded
 * inventory is what `Server.Internal.ToolDependencies` declares on a fresh server: the Velociraptor
 * binaries at the server's version with their GitHub URLs and no file (`hash` empty) — a server on
 * an isolated network (like the real ones here) cannot fetch them, so CreateCollector fails until
 * the tool is added with its file.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { messageOf } from '../../../../shared/errors';
import type { PluginItem } from '../vql/scope';
import { toText, type Row } from '../vql/values';
import { fn, plugin, type PluginGroup, type ServerContext } from './context';
import { bytesOf, serverPath } from './filesystem';

export interface InventoryTool {
  name: string;
  url: string;
  serve_locally: boolean;
  expected_hash: string;
  version: string;
  artifact: string;
  filename: string;
  /** sha256 of the stored file; '' while the server has no file. */
  hash: string;
  /** The stored file (simulator memory). */
  data?: Buffer;
}

const RELEASES = 'https://github.com/Velocidex/velociraptor/releases/download';

/** What a fresh server's inventory holds (names, versions, URLs as 0.77.2 lists them). */
export function seedInventory(version: string): Map<string, InventoryTool> {
  const tool = (name: string, file: string, v = version): InventoryTool => ({
    name,
    url: `${RELEASES}/v${version}/${file}`,
    serve_locally: true,
    expected_hash: '',
    version: v,
    artifact: 'Server.Internal.ToolDependencies',
    filename: file,
    hash: '',
  });
  const tools = [
    tool('VelociraptorWindows', `velociraptor-v${version}-windows-amd64.exe`),
    tool('VelociraptorWindows_x86', `velociraptor-v${version}-windows-386.exe`),
    tool('VelociraptorLinux', `velociraptor-v${version}-linux-amd64-musl`),
    tool('VelociraptorCollector', 'velociraptor-collector', ''),
    tool('VelociraptorWindowsMSI', `velociraptor-v${version}-windows-amd64.msi`),
  ];
  return new Map(tools.map((t) => [t.name, t]));
}

export function inventoryRow(t: InventoryTool): Row {
  return {
    name: t.name,
    url: t.url,
    github_project: '',
    github_asset_regex: '',
    serve_locally: t.serve_locally,
    admin_override: false,
    expected_hash: t.expected_hash,
    version: t.version,
    materialize: false,
    artifact: t.artifact,
    filestore_path: t.data ? createHash('sha256').update(t.name).digest('hex') : '',
    serve_url: '',
    serve_urls: [''],
    serve_path: '',
    filename: t.filename,
    hash: t.hash,
    invalid_hash: '',
    versions: [],
  };
}

export function inventoryPlugins(ctx: ServerContext): PluginGroup {
  const { world } = ctx;
  return {
    plugins: [
      plugin({
        name: 'inventory',
        doc: 'Retrieve the tools inventory.',
        args: {},
        async *run(): AsyncGenerator<PluginItem> {
          for (const t of world.inventory.values()) yield inventoryRow(t);
        },
      }),
    ],
    functions: [
      fn({
        name: 'inventory_add',
        doc: 'Add tool info to the inventory.',
        args: {
          tool: { type: 'string', required: true },
          serve_locally: { type: 'bool' },
          url: { type: 'string' },
          hash: { type: 'string' },
          filename: { type: 'string' },
          version: { type: 'string' },
          file: { type: 'any' },
          accessor: { type: 'string' },
        },
        call: (a, scope) => {
          if (!scope.require('SERVER_ADMIN', 'inventory_add')) return null;
          const tool: InventoryTool = {
            name: toText(a.tool),
            url: toText(a.url ?? ''),
            serve_locally: a.serve_locally === true,
            expected_hash: '',
            version: toText(a.version ?? ''),
            artifact: '',
            filename: toText(a.filename ?? ''),
            hash: toText(a.hash ?? ''),
          };
          if (a.file !== undefined && a.file !== null) {
            let data: Buffer;
            if (toText(a.accessor ?? '') === 'data') data = bytesOf(a.file);
            else {
              const path = serverPath(scope, 'inventory_add', a.file);
              if (!path) return null;
              try {
                data = readFileSync(path);
              } catch (e) {
                scope.log(`inventory_add: ${messageOf(e)}`);
                return null;
              }
            }
            tool.data = data;
            tool.hash = createHash('sha256').update(data).digest('hex');
            tool.serve_locally = true;
            if (!tool.filename) tool.filename = toText(a.file).split(/[\\/]/).pop() ?? '';
          }
          world.inventory.set(tool.name, tool);
          // The same Tool record as inventory() lists (the real function converts the same proto).
          return inventoryRow(tool);
        },
      }),
    ],
  };
}
