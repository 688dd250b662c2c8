/**
 * What the connected server declares: its artifacts and their parameters. Releases rename and add
 * parameters (Windows.Search.FileFinder's glob is SearchFilesGlob, SearchFilesGlobTable or Glob
 * depending on the release) and add artifacts (MacOS.Remediation.Quarantine from 0.77.2), and the
 * server drops a parameter its artifact does not declare without a word: the collection then runs
 * with the default and finds nothing. So every collection and hunt is checked here before it is
 * sent, and the operations that choose a parameter form choose from what the server declares.
 *
 * Declarations are cached per server endpoint, org and Velociraptor version (read from
 * `config.version`), so a server upgraded to another release is read again. A cached answer that
 * would refuse a request is read again before refusing: an artifact edited on the server a moment
 * ago is never refused on stale knowledge.
 */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import type { VelociraptorConnection } from '../connection';
import { artifactNames, int, str, vql } from '../vql/builder';
import { ArtifactSummarySchema, type ArtifactSummary } from './artifacts';
import { queryTyped, rowsOptions, type OpOptions } from './common';

/** How long the version of a server and a declaration are trusted before they are read again. */
const VERSION_MS = 60_000;
const DEFINITION_MS = 5 * 60_000;
/** Servers × orgs × versions kept; the oldest is dropped beyond this. */
const MAX_SERVERS = 64;
/** Every artifact of a server (its full catalogue is a few hundred). */
const ALL = 100_000;

/** Releases that brought an artifact the product uses, for a message that says why it is missing. */
const ARTIFACT_SINCE: Record<string, string> = {
  'MacOS.Remediation.Quarantine': '0.77.2',
};

/** Releases that brought a function argument the product uses. */
const ARGUMENT_SINCE: Record<string, string> = {
  'hunt.tags': 'hunt tags came with Velociraptor 0.77',
};

/** The declarations of some artifacts on one server: what a request may send there. */
export interface Declarations {
  /** The server's Velociraptor version ('' when it does not say). */
  version: string;
  /** "srv (Velociraptor 0.75.7)", for messages. */
  server: string;
  /** Each asked name: its declaration, or undefined when the server has no such artifact. */
  artifacts: Map<string, ArtifactSummary | undefined>;
}

interface Cached<T> {
  at: number;
  value: T;
}

interface ServerEntry {
  definitions: Map<string, Cached<ArtifactSummary | undefined>>;
  all?: Cached<ArtifactSummary[]>;
  /** VQL functions' argument names, as help() lists them (undefined: no such function). */
  functions: Map<string, Cached<string[] | undefined>>;
}

const VersionRow = z.looseObject({ Version: z.string().nullable().optional() });
const HelpRow = z.looseObject({ Args: z.array(z.string()).nullable().optional() });

/**
 * One process-wide cache for every connection: the UI, MCP tools, CLI and bulk actions all read
 * the same declarations. `now` is injectable for tests.
 */
export class ArtifactCatalog {
  private readonly versions = new Map<string, Cached<Promise<string>>>();
  private readonly servers = new Map<string, ServerEntry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Forgets everything (tests; a server replaced behind the same address). */
  clear(): void {
    this.versions.clear();
    this.servers.clear();
  }

  /** The Velociraptor version of the server, as its `config.version` says. */
  async version(conn: VelociraptorConnection, opts?: OpOptions): Promise<string> {
    const key = endpointKey(conn);
    const hit = this.versions.get(key);
    if (hit && this.now() - hit.at < VERSION_MS) return hit.value;
    const value = queryTyped(
      conn,
      vql`SELECT config.version.version AS Version FROM scope()`,
      VersionRow,
      rowsOptions(opts, true),
    ).then((rows) => rows[0]?.Version ?? '');
    this.versions.set(key, { at: this.now(), value });
    value.catch(() => this.versions.delete(key));
    return value;
  }

  /** The declarations of `names` (cached; `fresh` reads them from the server again). */
  async declarations(
    conn: VelociraptorConnection,
    names: string[],
    opts?: OpOptions & { fresh?: boolean },
  ): Promise<Declarations> {
    const version = await this.version(conn, opts);
    const entry = this.entry(conn, version);
    const now = this.now();
    const wanted = [...new Set(names)];
    const stale = wanted.filter((n) => {
      const hit = entry.definitions.get(n);
      return opts?.fresh || !hit || now - hit.at >= DEFINITION_MS;
    });
    if (stale.length) {
      const rows = await queryTyped(
        conn,
        vql`SELECT name, description, type, parameters, sources FROM artifact_definitions(names=${artifactNames(stale)})`,
        ArtifactSummarySchema,
        rowsOptions(opts, true),
      );
      for (const n of stale) entry.definitions.set(n, { at: now, value: rows.find((r) => r.name === n) });
    }
    return {
      version,
      server: serverLabel(conn, version),
      artifacts: new Map(wanted.map((n) => [n, entry.definitions.get(n)?.value])),
    };
  }

  /** Every artifact the server declares (the UI's artifact picker and parameter forms). */
  async all(conn: VelociraptorConnection, opts?: OpOptions): Promise<ArtifactSummary[]> {
    const version = await this.version(conn, opts);
    const entry = this.entry(conn, version);
    const now = this.now();
    if (entry.all && now - entry.all.at < DEFINITION_MS) return entry.all.value;
    const list = await queryTyped(
      conn,
      vql`SELECT name, description, type, parameters, sources FROM artifact_definitions() LIMIT ${int(ALL)}`,
      ArtifactSummarySchema,
      rowsOptions(opts, true),
    );
    entry.all = { at: now, value: list };
    for (const a of list) entry.definitions.set(a.name, { at: now, value: a });
    return list;
  }

  /**
   * Refuses, clearly, a request naming an artifact the server lacks or a parameter its artifact
   * does not declare; returns the declarations it checked against.
   */
  async check(
    conn: VelociraptorConnection,
    artifacts: string[],
    parameters: Record<string, Record<string, string>> = {},
    opts?: OpOptions,
  ): Promise<Declarations> {
    const names = [...artifacts, ...Object.keys(parameters)];
    const cached = await this.declarations(conn, names, opts);
    if (!problemOf(cached, artifacts, parameters)) return cached;
    const fresh = await this.declarations(conn, names, { ...opts, fresh: true });
    const problem = problemOf(fresh, artifacts, parameters);
    if (problem) throw problem;
    return fresh;
  }

  /**
   * Refuses a call of the VQL function `fn` with an argument the server's release does not take
   * (hunt(tags=…) before 0.77 answers null and logs "Unexpected arg": nothing is created).
   */
  async requireFunctionArgs(
    conn: VelociraptorConnection,
    fn: string,
    args: string[],
    opts?: OpOptions,
  ): Promise<void> {
    if (!args.length) return;
    const version = await this.version(conn, opts);
    const entry = this.entry(conn, version);
    let hit = entry.functions.get(fn);
    if (!hit || this.now() - hit.at >= DEFINITION_MS) {
      const rows = await queryTyped(
        conn,
        vql`SELECT args.name AS Args FROM help() WHERE type = 'Function' AND name = ${str(fn)}`,
        HelpRow,
        rowsOptions(opts, true),
      );
      hit = { at: this.now(), value: rows[0] ? (rows[0].Args ?? []) : undefined };
      entry.functions.set(fn, hit);
    }
    const taken = hit.value;
    // A server whose help() does not list the function is not second-guessed: it answers itself.
    if (!taken) return;
    const unknown = args.filter((a) => !taken.includes(a));
    if (unknown.length)
      throw new AppError(
        'INVALID_ARGUMENT',
        `${fn}() on ${serverLabel(conn, version)} takes no ${unknown.join(', ')} (${ARGUMENT_SINCE[`${fn}.${unknown[0]}`] ?? 'a newer release has it'}). Leave ${unknown.length === 1 ? 'it' : 'them'} out, or upgrade the server.`,
        { details: { function: fn, unknown, version } },
      );
  }

  private entry(conn: VelociraptorConnection, version: string): ServerEntry {
    const key = `${endpointKey(conn)}|${version}`;
    let entry = this.servers.get(key);
    if (!entry) {
      entry = { definitions: new Map(), functions: new Map() };
      this.servers.set(key, entry);
      if (this.servers.size > MAX_SERVERS) {
        const oldest = this.servers.keys().next().value;
        if (oldest !== undefined) this.servers.delete(oldest);
      }
    }
    return entry;
  }
}

/** The catalog every VelociraptorService reads. */
export const artifactCatalog = new ArtifactCatalog();

function endpointKey(conn: VelociraptorConnection): string {
  return `${conn.server}|${conn.config.connectionString}|${conn.orgId}`;
}

function serverLabel(conn: VelociraptorConnection, version: string): string {
  return `${conn.label} (Velociraptor ${version || 'of unknown version'})`;
}

/** The declaration of `name`, or a clear refusal naming the server and its version. */
export function requireArtifact(d: Declarations, name: string): ArtifactSummary {
  const a = d.artifacts.get(name);
  if (!a) throw missingArtifact(d, name);
  return a;
}

function missingArtifact(d: Declarations, name: string): AppError {
  const since = ARTIFACT_SINCE[name];
  return new AppError(
    'NOT_FOUND',
    `${d.server} has no artifact ${name}${since ? ` (it came with Velociraptor ${since})` : ''}. Upgrade the server or add the artifact to it, or choose another artifact.`,
    { details: { artifact: name, version: d.version } },
  );
}

/** The names of an artifact's declared parameters. */
export function declaredParameters(a: ArtifactSummary): string[] {
  return a.parameters.map((p) => p.name);
}

/**
 * The first of `candidates` (in order of preference) that `artifact` declares, or a refusal that
 * names what the server declares instead.
 */
export function pickParameter(d: Declarations, artifact: string, candidates: string[], what: string): string {
  const declared = declaredParameters(requireArtifact(d, artifact));
  const found = candidates.find((c) => declared.includes(c));
  if (found) return found;
  throw new AppError(
    'INVALID_ARGUMENT',
    `${artifact} on ${d.server} takes ${what} in none of the forms the product knows (${candidates.join(', ')}); it declares ${declared.join(', ') || 'no parameters'}. Collect it with the parameters it declares instead.`,
  );
}

function problemOf(
  d: Declarations,
  artifacts: string[],
  parameters: Record<string, Record<string, string>>,
): AppError | undefined {
  for (const name of [...artifacts, ...Object.keys(parameters)])
    if (!d.artifacts.get(name)) return missingArtifact(d, name);
  for (const [name, params] of Object.entries(parameters)) {
    const declared = declaredParameters(d.artifacts.get(name)!);
    const unknown = Object.keys(params).filter((p) => !declared.includes(p));
    if (unknown.length) {
      const one = unknown.length === 1;
      return new AppError(
        'INVALID_ARGUMENT',
        `${name} on ${d.server} does not declare ${one ? 'parameter' : 'parameters'} ${unknown.join(', ')}: the server would drop ${one ? 'it' : 'them'} without a word and run the default. It declares ${declared.join(', ') || 'no parameters'}.`,
        { details: { artifact: name, undeclared: unknown, declared, version: d.version } },
      );
    }
  }
  return undefined;
}
