/** Artifacts: what the server can collect, and the full definition of one. */
import { z } from 'zod';
import { pagedOutput, pagedRead, pagingInput } from '../results';
import { defineTool, READ, type McpTool } from '../tool-kit';
import { artifactName, notFound, str } from './common';
import type { Row } from '../ports';

function shortArtifact(r: Row): Row {
  const description = str(r.description) ?? '';
  const params = Array.isArray(r.parameters) ? (r.parameters as Row[]).map((p) => str(p.name)).filter((n) => n !== undefined) : [];
  const sources = Array.isArray(r.sources) ? (r.sources as Row[]).map((s) => str(s.name)).filter((n) => n !== undefined && n !== '') : [];
  return {
    name: str(r.name),
    type: str(r.type),
    description: description.length > 300 ? description.slice(0, 300) + '…' : description,
    parameters: params,
    sources,
  };
}

export const listArtifacts = defineTool({
  name: 'list_artifacts',
  title: 'List or search artifacts',
  description:
    'Search the artifacts the server knows (built-in and custom) by a regular expression on name or description, optionally by type. Use it to find the right artifact before collecting; names are OS-specific (Windows.*, Linux.*, MacOS.*, Generic.*). Returns names, a short description, parameter names and named sources.',
  input: {
    search: z.string().max(300).optional().describe('Regular expression matched against name and description, e.g. "Pslist|Netstat".'),
    type: z.enum(['CLIENT', 'SERVER', 'NOTEBOOK']).optional(),
    ...pagingInput,
  },
  output: pagedOutput,
  annotations: READ,
  endpointData: false,
  async run({ args, target, ctx }) {
    return pagedRead('list_artifacts', args, async (p) => (await ctx.port.listArtifacts(target, { search: args.search, type: args.type }, p)).map(shortArtifact), ctx.resultsDir);
  },
});

export const getArtifact = defineTool({
  name: 'get_artifact',
  title: 'Get an artifact definition',
  description: 'The full definition of one artifact: description, parameters (names, types, defaults), sources (named sources are read as Artifact/Source), preconditions and required permissions. Read it before collecting an artifact with parameters.',
  input: { name: artifactName },
  output: { artifact: z.record(z.string(), z.unknown()) },
  annotations: READ,
  endpointData: false,
  async run({ args, target, ctx }) {
    const row = await ctx.port.artifactDefinition(target, args.name);
    if (!row) throw notFound(`Artifact ${args.name}`);
    return { artifact: row };
  },
});

export const artifactTools: McpTool[] = [listArtifacts, getArtifact];
