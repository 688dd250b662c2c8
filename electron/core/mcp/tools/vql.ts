/**
 * VQL: run a query the assistant wrote, and look up plugins/functions in the server's own reference.
 *
 * read_only (the default) means the SERVER enforces it: the query runs as the connection's
 * least-privilege identity (role `api` alone, read-only-identity.ts), after the allow-list
 * (vql-readonly.ts) as defence in depth. Without such an identity the query would run with the
 * connection's own rights, so it is not read-only: it waits for the responder's approval like any
 * gated tool (fail closed), and the audit line says why.
 */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import { pagedOutput, pagedRead, pagingInput, plainRows, sliceSource, type Row } from '../results';
import { assertReadOnlyVql } from '../vql-readonly';
import { defineTool, READ, type McpTool } from '../tool-kit';
import type { ReadOnlyDecision } from '../read-only-identity';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'env names are identifiers');

export const runVql = defineTool({
  name: 'run_vql',
  title: 'Run a VQL query',
  description:
    'Run a VQL query on the server and return its rows. Pass every value (ids, search terms, paths) as env parameters and refer to them by name in the query, e.g. query "SELECT * FROM flows(client_id=ClientId)" with env {"ClientId": "C.123..."}: never paste values into the query text. read_only (default true) runs it as a least-privilege identity the server allows only to read results, and only with plugins and functions that read Velociraptor\'s own data (no lambdas, no artifacts); where no such identity is set up, the query needs the responder\'s approval. read_only=false can run anything and always needs the responder\'s approval. Prefer the dedicated tools when one fits. Query failures come back as errors (from the server\'s logs).',
  input: {
    query: z.string().min(1).max(20_000),
    env: z
      .record(envName, z.string().max(100_000))
      .default({})
      .describe('Query parameters, bound as VQL variables.'),
    read_only: z.boolean().default(true),
    timeout_seconds: z.number().int().min(1).max(3600).default(60),
    ...pagingInput,
  },
  output: { ...pagedOutput, log_errors: z.array(z.string()) },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true },
  endpointData: true,
  example: (ids) => ({
    query: 'SELECT * FROM clients() WHERE client_id = Id',
    env: { Id: ids.clientId },
  }),
  // Settled once, before the plan: the identity the plan reports is the one run() uses.
  decide: async ({ args, target, ctx }): Promise<ReadOnlyDecision | undefined> => {
    if (!args.read_only) return undefined;
    // The allow-list first: a query it refuses is neither run nor put to the responder.
    assertReadOnlyVql(args.query);
    return ctx.readOnly
      ? await ctx.readOnly.decide(target)
      : { kind: 'none', reason: 'this MCP server has no read-only identities' };
  },
  plan: ({ args, target, decided, notes }) => {
    let why: string | undefined;
    if (decided) {
      if (decided.kind === 'identity') {
        notes.readOnly = { identity: decided.user };
        return null;
      }
      notes.readOnly = { identity: null, reason: decided.reason };
      why = decided.reason;
    }
    return {
      summary: why
        ? `Run a VQL query the assistant marked read-only with the connection's own rights: ${why}, so the server cannot enforce read-only`
        : 'Run an unrestricted VQL query written by the assistant',
      ...(target.server ? { server: target.server } : {}),
      ...(target.org ? { org: target.org } : {}),
      operations: [
        {
          operation: 'query',
          details: {
            timeout_seconds: args.timeout_seconds,
            ...(why ? { read_only_requested: true, not_enforced_because: why } : {}),
          },
          vql: args.query,
          env: args.env,
        },
      ],
    };
  },
  async run({ args, ctx, signal, service, decided: d }) {
    let errors: string[] = [];
    let all: Row[] | undefined;
    const fetchAll = async (): Promise<Row[]> => {
      if (!all) {
        // Read-only VQL runs as the least-privilege identity plan() found; otherwise (approved) as the connection.
        const svc = d?.kind === 'identity' ? d.service : await service();
        const r = await svc.runVql(args.query, args.env, {
          bigInts: 'string',
          timeoutSeconds: args.timeout_seconds,
          failOnLogErrors: false,
          rowLimit: 100_000,
          signal,
        });
        errors = r.logs.filter((l) => l.problem !== undefined).map((l) => l.message);
        all = plainRows(r.rows);
        if (all.length === 0 && errors.length > 0) {
          throw new AppError(
            'VQL_ERROR',
            `The query failed on the server: ${errors.slice(0, 3).join(' | ')}`,
            { details: { errors: errors.slice(0, 20) } },
          );
        }
      }
      return all;
    };
    const paged = await pagedRead(
      'run_vql',
      args,
      async (p) => sliceSource(await fetchAll())(p),
      ctx.resultsDir,
    );
    return { ...paged, log_errors: errors };
  },
});

/** Longest search vql_help takes: words, not programs. */
export const HELP_SEARCH_MAX = 100;

/**
 * vql_help's matcher: plain, case-insensitive words that must all occur in the name or the
 * description; a leading ^ anchors the first word at the start of the name. Never a regular
 * expression: an assistant's pattern must not be able to run for minutes (ReDoS), and substring
 * tests are linear in the text.
 */
export function helpMatcher(search: string): (name: string, description: string) => boolean {
  const anchored = search.trimStart().startsWith('^');
  const words = search.trim().replace(/^\^/, '').toLowerCase().split(/\s+/).filter(Boolean);
  return (name, description) => {
    const n = name.toLowerCase();
    const d = description.toLowerCase();
    return words.every((w, i) => (anchored && i === 0 ? n.startsWith(w) : n.includes(w) || d.includes(w)));
  };
}

export const vqlHelp = defineTool({
  name: 'vql_help',
  title: 'VQL reference',
  description:
    'Look up VQL plugins and functions in the connected server\'s own reference (name, plugin or function, description, arguments with types). Search by plain words that must all appear in the name or description, e.g. "glob", "hunt results"; a leading ^ matches the start of the name, e.g. "^hunt". (Words, not regular expressions.) VQL facts: strings use single or double quotes; values come from env parameters; LET defines stored queries; plugins go in FROM.',
  input: {
    search: z
      .string()
      .max(HELP_SEARCH_MAX)
      .optional()
      .describe('Plain words (all must match), optionally starting with ^; omit for all.'),
    kind: z.enum(['plugin', 'function']).optional(),
    ...pagingInput,
  },
  output: pagedOutput,
  annotations: READ,
  endpointData: false,
  example: () => ({ search: 'glob' }),
  async run({ args, ctx, service }) {
    const matches = args.search ? helpMatcher(args.search) : undefined;
    const ref = await (await service()).vqlHelp();
    const hits: Row[] = ref
      .filter((r) => (!args.kind || r.kind === args.kind) && (!matches || matches(r.name, r.description)))
      .map((r) => ({ name: r.name, kind: r.kind, description: r.description, args: r.args }));
    return pagedRead('vql_help', args, sliceSource(hits), ctx.resultsDir);
  },
});

export const vqlTools: McpTool[] = [runVql, vqlHelp];
