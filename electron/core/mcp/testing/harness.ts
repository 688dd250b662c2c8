/** Builds an MCP context and an in-process SDK client for tests and the benchmark. */
import { mkdtempSync } from 'node:fs';
import { realpath, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import {
  ApprovalBroker,
  DEFAULT_POLICY,
  type ApprovalAnswer,
  type ApprovalRequest,
  type Approver,
  type McpPolicy,
} from '../approvals';
import { AuditLog } from '../audit';
import { Redactor } from '../redact';
import { createMcpServer } from '../server';
import type { McpContext } from '../tool-kit';
import { ConnectionRegistry } from '../../velociraptor/registry';
import type { ReadOnlyVql } from '../read-only-identity';
import { RegistryServers, type McpServers } from '../servers';
import { AgentService, HostKeyStore, ReleaseCache, ReleaseSource } from '../../deploy/index';
import { velociraptorLauncher } from '../../sim/index';
import { buildCli } from '../../../../scripts/build-cli.mjs';

let simBinary: Promise<string> | undefined;

/**
 * The simulator as the local `velociraptor` binary the installer tools run (the bundled CLI behind
 * its launcher), built once per test process and only when an installer is built.
 */
function simVelociraptor(): Promise<string> {
  simBinary ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mr-mcp-vr-'));
    const cli = await buildCli(join(dir, 'megaraptor.mjs'));
    const launcher = join(dir, 'velociraptor');
    await writeFile(launcher, velociraptorLauncher(cli, await realpath(process.execPath)), { mode: 0o755 });
    return launcher;
  })();
  return simBinary;
}

export interface Harness {
  ctx: McpContext;
  dataDir: string;
  broker: ApprovalBroker;
  redactor: Redactor;
  audit: AuditLog;
  setPolicy(p: Partial<McpPolicy>): void;
}

/** The servers seam with no Velociraptor connection: what an app without a saved server has. */
export function noConnections(): McpServers {
  return new RegistryServers({
    registry: new ConnectionRegistry(),
    defaultServer: () => undefined,
  });
}

/** An approver that keeps every request it is asked and answers each with `decision`. */
export function recordingApprover(
  decision: ApprovalAnswer['decision'] = 'approved',
): Approver & { asked: ApprovalRequest[] } {
  const asked: ApprovalRequest[] = [];
  return {
    asked,
    ask: (request) => {
      asked.push(request);
      return Promise.resolve({ decision });
    },
  };
}

export function makeHarness(
  servers: McpServers,
  opts: {
    dataDir?: string;
    approver?: Approver;
    policy?: Partial<McpPolicy>;
    clientLabel?: string;
    readOnly?: ReadOnlyVql;
  } = {},
): Harness {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), 'mr-mcp-'));
  const redactor = new Redactor();
  const audit = new AuditLog(dataDir, redactor);
  const broker = new ApprovalBroker();
  let policy: McpPolicy = { ...DEFAULT_POLICY, ...opts.policy };
  const ctx: McpContext = {
    servers,
    redactor,
    audit,
    policy: async () => policy,
    approver: opts.approver ?? broker,
    resultsDir: join(dataDir, 'mcp-results'),
    clientLabel: () => opts.clientLabel ?? 'test (direct)',
    ...(opts.readOnly ? { readOnly: opts.readOnly } : {}),
    agents: new AgentService({
      dataDir,
      // No keychain in these tests: a push that reads a secret says so.
      secrets: () => Promise.resolve(null),
      server: (t) => servers.service(t),
      // Never reached: the example's host is unreachable, so no release is fetched.
      releases: new ReleaseCache({
        dir: join(dataDir, 'releases'),
        source: new ReleaseSource({ kind: 'mirror', baseUrl: 'https://127.0.0.1:9/' }),
      }),
      hostKeys: new HostKeyStore({ appFile: join(dataDir, 'ssh', 'known_hosts'), userFiles: [] }),
      localVelociraptor: simVelociraptor,
    }),
  };
  return {
    ctx,
    dataDir,
    broker,
    redactor,
    audit,
    setPolicy(p) {
      policy = { ...policy, ...p };
    },
  };
}

/** An SDK client connected in-process to a server built on the harness's context. */
export async function connectInProcess(h: Harness): Promise<Client> {
  const server = createMcpServer({ version: 'test', transport: 'memory' }, (label) => ({
    ...h.ctx,
    clientLabel: label,
  }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'vitest', version: '1.0' });
  await client.connect(b);
  return client;
}
