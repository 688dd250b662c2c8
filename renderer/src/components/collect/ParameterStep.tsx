/**
 * The parameters step of both wizards (collect on clients, new hunt): one form per chosen artifact,
 * generated from its declared parameter types, the first invalid value named, and optionally the
 * resource limits. `useArtifactParameters` turns the form values into what the core sends, so both
 * wizards validate and review the same way.
 */
import { Alert, Stack, Text } from '@mantine/core';
import { useMemo } from 'react';
import type { ArtifactSummary, Resources } from '../../../../shared/contracts/collections';
import { buildParameters, ParamsEditor, ResourcesEditor, type ParamValues } from './ParamsAndResources';
import { describeError } from '../../../../shared/errors';
import { checkLimits } from '../../../../shared/params';

export type { ParamValues } from './ParamsAndResources';

/** What one wizard hands the other (collect on many clients → "create a hunt instead"). */
export interface WizardDraft {
  artifacts: ArtifactSummary[];
  values: ParamValues;
  resources: Resources;
}

/**
 * The parameters to send, or the first validation error ("Name: what is wrong"), a resource limit's
 * included: a wizard disables Next and Launch while there is one.
 */
export function useArtifactParameters(
  artifacts: ArtifactSummary[],
  values: ParamValues,
  resources?: Resources,
): { parameters: Record<string, Record<string, string>>; error: string | null } {
  return useMemo(() => {
    try {
      const parameters = buildParameters(artifacts, values);
      const limit = resources ? Object.values(checkLimits(resources))[0] : undefined;
      return { parameters, error: limit ?? null };
    } catch (e) {
      return { parameters: {}, error: describeError(e) };
    }
  }, [artifacts, values, resources]);
}

export function ParameterStep(props: {
  artifacts: ArtifactSummary[];
  values: ParamValues;
  onChange: (v: ParamValues) => void;
  /** The error from useArtifactParameters, shown above the forms. */
  error: string | null;
  /** Resource limits edited in the same step (the collect wizard); the hunt wizard has its own limits step. */
  resources?: { value: Resources; onChange: (v: Resources) => void; showUrgent?: boolean };
}) {
  return (
    <Stack gap="sm" data-testid="parameter-step">
      {props.artifacts.length === 0 ? (
        <Text c="dimmed">Choose at least one artifact in the previous step.</Text>
      ) : null}
      {props.error ? (
        <Alert color="red" data-testid="parameter-error" title="A parameter needs fixing">
          {props.error}
        </Alert>
      ) : null}
      <ParamsEditor artifacts={props.artifacts} values={props.values} onChange={props.onChange} />
      {props.resources ? (
        <>
          <Text fw={600} mt="md">
            Resources
          </Text>
          <ResourcesEditor
            value={props.resources.value}
            onChange={props.resources.onChange}
            showUrgent={props.resources.showUrgent}
          />
        </>
      ) : null}
    </Stack>
  );
}

/** The review line for one artifact: its changed parameters, or "(defaults)". */
export function ParameterSummary(props: {
  artifact: string;
  parameters: Record<string, Record<string, string>>;
}) {
  const p = props.parameters[props.artifact];
  return (
    <>
      {props.artifact}{' '}
      <Text span c="dimmed">
        {p
          ? Object.entries(p)
              .map(([k, v]) => `${k}=${v.length > 60 ? `${v.slice(0, 60)}…` : v}`)
              .join(', ')
          : '(defaults)'}
      </Text>
    </>
  );
}
