/** Artifacts: what the server can collect, and the full definition of one. */
import { z } from 'zod';
import type { ArtifactSummary } from '../../velociraptor';
import { pageOf, pagedOutput, pagedRead, pagingInput, upTo, type Row } from '../results';
import { defineTool, READ, type McpTool } from '../tool-kit';
import { artifactName, found, notFound } from './common';

function shortArtifact(a: ArtifactSummary): Row {
  return {
    name: a.name,
    type: a.type,
    description: a.description.length > 300 ? a.description.slice(0, 300) + '…' : a.description,
    parameters: a.parameters.map((p) => p.name),
  };
}

export const listArtifacts = defineTool({
  name: 'list_artifacts',
  title: 'List or search artifacts',
  description:
    'Search the artifacts the server knows (built-in and custom) by part of the name, optionally by type. Use it to find the right artifact before collecting; names are OS-specific (Windows.*, Linux.*, MacOS.*, Generic.*). Returns names, a short description and parameter names; get_artifact gives the sources.',
  input: {
    search: z
      .string()
      .max(300)
      .optional()
      .describe(
        'Part of the artifact name, case-insensitive, taken literally, e.g. "Pslist" or "Windows.Network".',
      ),
    type: z.enum(['CLIENT', 'SERVER', 'NOTEBOOK']).optional(),
    ...pagingInput,
  },
  output: pagedOutput,
  annotations: READ,
  endpointData: false,
  example: () => ({ search: 'Pslist' }),
  async run({ args, ctx, service }) {
    const svc = await service();
    return pagedRead(
      'list_artifacts',
      args,
      async (p) =>
        pageOf(await svc.listArtifacts({ search: args.search, type: args.type, limit: upTo(p) }), p).map(
          shortArtifact,
        ),
      ctx.resultsDir,
    );
  },
});

export const getArtifact = defineTool({
  name: 'get_artifact',
  title: 'Get an artifact definition',
  description:
    'The full definition of one artifact: description, parameters (names, types, defaults), sources (named sources are read as Artifact/Source), preconditions and required permissions. Read it before collecting an artifact with parameters.',
  input: { name: artifactName },
  output: { artifact: z.record(z.string(), z.unknown()) },
  annotations: READ,
  endpointData: false,
  example: () => ({ name: 'Windows.System.Pslist' }),
  async run({ args, service }) {
    const [a] = await found((await service()).getArtifacts([args.name]), `Artifact ${args.name}`);
    if (!a) throw notFound(`Artifact ${args.name}`);
    return {
      artifact: {
        name: a.name,
        type: a.type,
        description: a.description,
        parameters: a.parameters,
        sources: a.sources,
        precondition: a.precondition,
        required_permissions: a.requiredPermissions,
      },
    };
  },
});

export const artifactTools: McpTool[] = [listArtifacts, getArtifact];
