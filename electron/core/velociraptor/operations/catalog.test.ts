/**
 * The declarations cache: read once per server, org and release; read again when it would refuse
 * (an artifact added on the server a moment ago is never refused on stale knowledge), when it ages,
 * and when the server reports another release. A scripted connection stands in for the server here
 * (the catalogue against the simulator and real servers: version-aware.test.ts, the conformance suite).
 */
import { describe, expect, it } from 'vitest';
import { isAppError } from '../../../../shared/errors';
import type { VelociraptorConnection } from '../connection';
import type { BuiltQuery } from '../vql/builder';
import { ArtifactCatalog } from './catalog';

interface Server {
  version: string;
  artifacts: Record<string, string[]>;
  functions: Record<string, string[]>;
}

function scripted(server: Server): { conn: VelociraptorConnection; reads: string[] } {
  const reads: string[] = [];
  const conn = {
    label: 'srv',
    server: 'srv',
    orgId: '',
    config: { connectionString: 'srv:8001' },
    queryRows(q: BuiltQuery) {
      const arg = Object.values(q.env)[0] ?? '';
      if (q.vql.includes('config.version')) {
        reads.push('version');
        return Promise.resolve({ rows: [{ Version: server.version }], columns: [], logs: [] });
      }
      if (q.vql.includes('artifact_definitions(')) {
        const names = JSON.parse(arg) as string[];
        reads.push(`definitions ${names.join(',')}`);
        const rows = names
          .filter((n) => server.artifacts[n])
          .map((name) => ({
            name,
            type: 'CLIENT',
            parameters: server.artifacts[name]!.map((p) => ({ name: p })),
            sources: [],
          }));
        return Promise.resolve({ rows, columns: [], logs: [] });
      }
      if (q.vql.includes('FROM help()')) {
        reads.push(`help ${arg}`);
        const args = server.functions[arg];
        return Promise.resolve({ rows: args ? [{ Args: args }] : [], columns: [], logs: [] });
      }
      throw new Error(`unexpected query ${q.vql}`);
    },
  } as unknown as VelociraptorConnection;
  return { conn, reads };
}

function clock(): { now: () => number; advance(ms: number): void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

const FINDER = 'Windows.Search.FileFinder';

describe('artifact catalogue', () => {
  it('reads declarations once, and again after five minutes', async () => {
    const server: Server = { version: '0.77.2', artifacts: { [FINDER]: ['Glob'] }, functions: {} };
    const { conn, reads } = scripted(server);
    const c = clock();
    const catalog = new ArtifactCatalog(c.now);
    await catalog.check(conn, [FINDER], { [FINDER]: { Glob: 'x' } });
    await catalog.check(conn, [FINDER], { [FINDER]: { Glob: 'y' } });
    expect(reads).toEqual(['version', `definitions ${FINDER}`]);
    c.advance(5 * 60_000);
    await catalog.check(conn, [FINDER], { [FINDER]: { Glob: 'z' } });
    expect(reads.filter((r) => r.startsWith('definitions'))).toHaveLength(2);
  });

  it('reads again before refusing: an artifact added on the server a moment ago is accepted', async () => {
    const server: Server = { version: '0.77.2', artifacts: {}, functions: {} };
    const { conn, reads } = scripted(server);
    const catalog = new ArtifactCatalog(clock().now);
    await expect(catalog.check(conn, ['Custom.New'])).rejects.toThrow(
      /srv \(Velociraptor 0\.77\.2\) has no artifact Custom\.New/,
    );
    server.artifacts['Custom.New'] = ['Path'];
    await expect(catalog.check(conn, ['Custom.New'], { 'Custom.New': { Path: '/' } })).resolves.toBeDefined();
    expect(reads.filter((r) => r === 'definitions Custom.New').length).toBeGreaterThanOrEqual(3);
  });

  it('refuses an undeclared parameter naming the declared ones, and a missing artifact with its release', async () => {
    const { conn } = scripted({
      version: '0.75.7',
      artifacts: { [FINDER]: ['SearchFilesGlobTable'] },
      functions: {},
    });
    const catalog = new ArtifactCatalog(clock().now);
    const err = await catalog.check(conn, [FINDER], { [FINDER]: { Glob: 'C:/*' } }).catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('INVALID_ARGUMENT');
    expect((err as Error).message).toMatch(/does not declare parameter Glob.*declares SearchFilesGlobTable/);
    const missing = await catalog.check(conn, ['MacOS.Remediation.Quarantine']).catch((e: unknown) => e);
    expect(isAppError(missing) && missing.code).toBe('NOT_FOUND');
    expect((missing as Error).message).toMatch(/came with Velociraptor 0\.77\.2/);
  });

  it('a server upgraded to another release is read again', async () => {
    const server: Server = {
      version: '0.75.7',
      artifacts: { [FINDER]: ['SearchFilesGlobTable'] },
      functions: {},
    };
    const { conn } = scripted(server);
    const c = clock();
    const catalog = new ArtifactCatalog(c.now);
    expect(
      (await catalog.declarations(conn, [FINDER])).artifacts.get(FINDER)?.parameters.map((p) => p.name),
    ).toEqual(['SearchFilesGlobTable']);
    server.version = '0.77.2';
    server.artifacts[FINDER] = ['Glob', 'SearchFilesGlobTable'];
    c.advance(60_000); // the version is trusted for a minute
    const d = await catalog.declarations(conn, [FINDER]);
    expect(d.version).toBe('0.77.2');
    expect(d.artifacts.get(FINDER)?.parameters.map((p) => p.name)).toEqual(['Glob', 'SearchFilesGlobTable']);
  });

  it('function arguments: refuses one the release lacks; a function help() does not list is not second-guessed', async () => {
    const { conn, reads } = scripted({
      version: '0.75.7',
      artifacts: {},
      functions: { hunt: ['description', 'artifacts', 'spec'] },
    });
    const catalog = new ArtifactCatalog(clock().now);
    await expect(catalog.requireFunctionArgs(conn, 'hunt', ['tags'])).rejects.toThrow(
      /hunt\(\) on srv \(Velociraptor 0\.75\.7\) takes no tags \(hunt tags came with Velociraptor 0\.77\)/,
    );
    await expect(catalog.requireFunctionArgs(conn, 'hunt', ['description'])).resolves.toBeUndefined();
    await expect(catalog.requireFunctionArgs(conn, 'nosuch', ['x'])).resolves.toBeUndefined();
    expect(reads.filter((r) => r === 'help hunt')).toHaveLength(1);
  });
});
