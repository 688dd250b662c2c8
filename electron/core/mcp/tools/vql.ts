/**
 * VQL: run a query the assistant wrote (read-only by default, through the allow-list and the
 * least-privilege identity), and look up plugins/functions in the server's own reference.
 */
import { z } from 'zod';
import { AppError } from '../../../../shared/errors';
import { pagedOutput, pagedRead, pagingInput, plainRows, sliceSource, type Row } from '../results';
import { assertReadOnlyVql } from '../vql-readonly';
import { defineTool, READ, type McpTool } from '../tool-kit';

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, 'env names are identifiers');

export const runVql = defineTool({
  name: 'run_vql',
  title: 'Run a VQL query',
  description:
    'Run a VQL query on the server and return its rows. Pass every value (ids, search terms, paths) as env parameters and refer to them by name in the query, e.g. query "SELECT * FROM flows(client_id=ClientId)" with env {"ClientId": "C.123..."}: never paste values into the query text. read_only (default true) allows only plugins and functions that read Velociraptor\'s own data, with no comments; read_only=false can run anything and needs the responder\'s approval. Prefer the dedicated tools when one fits. Query failures come back as errors (from the server\'s logs).',
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
  plan: ({ args, target }) => {
    // Read-only queries pass the allow-list instead of the responder.
    if (args.read_only) return null;
    return {
      summary: 'Run an unrestricted VQL query written by the assistant',
      ...(target.server ? { server: target.server } : {}),
      ...(target.org ? { org: target.org } : {}),
      operations: [
        {
          operation: 'query',
          details: { timeout_seconds: args.timeout_seconds },
          vql: args.query,
          env: args.env,
        },
      ],
    };
  },
  async run({ args, ctx, signal, service }) {
    if (args.read_only) assertReadOnlyVql(args.query);
    let errors: string[] = [];
    let all: Row[] | undefined;
    const fetchAll = async (): Promise<Row[]> => {
      if (!all) {
        // Read-only VQL runs as the server's least-privilege identity when one is configured.
        const r = await (
          await service({ readOnly: args.read_only })
        ).runVql(args.query, args.env, {
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

export const vqlHelp = defineTool({
  name: 'vql_help',
  title: 'VQL reference',
  description:
    'Look up VQL plugins and functions in the connected server\'s own reference (name, plugin or function, description, arguments with types). Search by a word or regular expression, e.g. "glob", "^hunt". VQL facts: strings use single or double quotes; values come from env parameters; LET defines stored queries; plugins go in FROM.',
  input: {
    search: z
      .string()
      .max(200)
      .optional()
      .describe('Regular expression on name and description; omit for all.'),
    kind: z.enum(['plugin', 'function']).optional(),
    ...pagingInput,
  },
  output: pagedOutput,
  annotations: READ,
  endpointData: false,
  example: () => ({ search: 'glob' }),
  async run({ args, ctx, service }) {
    let re: RegExp | undefined;
    if (args.search) {
      try {
        re = new RegExp(args.search, 'i');
      } catch {
        throw new AppError('INVALID_ARGUMENT', `"${args.search}" is not a valid regular expression.`);
      }
    }
    const ref = await (await service()).vqlHelp();
    const hits: Row[] = ref
      .filter(
        (r) => (!args.kind || r.kind === args.kind) && (!re || re.test(r.name) || re.test(r.description)),
      )
      .map((r) => ({ name: r.name, kind: r.kind, description: r.description, args: r.args }));
    return pagedRead('vql_help', args, sliceSource(hits), ctx.resultsDir);
  },
});

export const vqlTools: McpTool[] = [runVql, vqlHelp];
