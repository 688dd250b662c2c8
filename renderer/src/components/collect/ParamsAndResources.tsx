/** Parameters of each chosen artifact plus resource limits; shared by collections and hunts. */
import { Accordion, Group, NumberInput, Switch } from '@mantine/core';
import type { ArtifactSummary, Resources } from '../../../../shared/contracts/collections';
import { checkLimits } from '../../../../shared/params';
import { fieldsFor, parametersToSend } from '../params/param-form';
import { ParamForm } from '../params/ParamForm';

export type ParamValues = Record<string, Record<string, string | boolean>>;

export function buildParameters(
  artifacts: ArtifactSummary[],
  values: ParamValues,
): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const a of artifacts) {
    const p = parametersToSend(fieldsFor(a.parameters), values[a.name] ?? {});
    if (Object.keys(p).length) out[a.name] = p;
  }
  return out;
}

export function ParamsEditor(props: {
  artifacts: ArtifactSummary[];
  values: ParamValues;
  onChange(v: ParamValues): void;
}) {
  return (
    <Accordion multiple defaultValue={props.artifacts.map((a) => a.name)}>
      {props.artifacts.map((a) => (
        <Accordion.Item key={a.name} value={a.name}>
          <Accordion.Control>{a.name}</Accordion.Control>
          <Accordion.Panel>
            <ParamForm
              fields={fieldsFor(a.parameters)}
              values={props.values[a.name] ?? {}}
              onChange={(name, v) =>
                props.onChange({ ...props.values, [a.name]: { ...(props.values[a.name] ?? {}), [name]: v } })
              }
            />
          </Accordion.Panel>
        </Accordion.Item>
      ))}
    </Accordion>
  );
}

export function ResourcesEditor(props: {
  value: Resources;
  onChange(v: Resources): void;
  showUrgent?: boolean;
}) {
  const num = (v: string | number): number | undefined => (v === '' ? undefined : Number(v));
  const r = props.value;
  // Out-of-range values stay as typed and are named (a CPU limit of 150 is an error, not 100).
  const errors = checkLimits(r);
  return (
    <Group grow align="flex-start">
      <NumberInput
        label="Timeout (s)"
        clampBehavior="none"
        allowDecimal={false}
        error={errors.timeoutSeconds}
        description="Default 600"
        min={1}
        value={r.timeoutSeconds ?? ''}
        onChange={(v) => props.onChange({ ...r, timeoutSeconds: num(v) })}
      />
      <NumberInput
        label="CPU limit (%)"
        clampBehavior="none"
        allowDecimal={false}
        error={errors.cpuLimit}
        description="0–100; empty: none"
        min={0}
        max={100}
        value={r.cpuLimit ?? ''}
        onChange={(v) => props.onChange({ ...r, cpuLimit: num(v) })}
      />
      <NumberInput
        label="Max rows"
        clampBehavior="none"
        allowDecimal={false}
        error={errors.maxRows}
        min={1}
        value={r.maxRows ?? ''}
        onChange={(v) => props.onChange({ ...r, maxRows: num(v) })}
      />
      <NumberInput
        label="Max upload bytes"
        clampBehavior="none"
        allowDecimal={false}
        error={errors.maxBytes}
        min={1}
        value={r.maxBytes ?? ''}
        onChange={(v) => props.onChange({ ...r, maxBytes: num(v) })}
      />
      {props.showUrgent !== false ? (
        <Switch
          mt="xl"
          label="Urgent (skip the client's queue)"
          checked={r.urgent}
          onChange={(e) => props.onChange({ ...r, urgent: e.currentTarget.checked })}
        />
      ) : null}
    </Group>
  );
}
