/**
 * Hunt creation: artifacts → parameters → scope with a live estimate → limits/expiry → review.
 * `initial` prefills it (the Clients page hands over a multi-client collection's choices and a scope).
 */
import {
  Alert,
  Button,
  Group,
  List,
  Modal,
  NumberInput,
  SegmentedControl,
  Stepper,
  Switch,
  TagsInput,
  Text,
  Textarea,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import { osMismatch } from '../../../../shared/artifact-os';
import type { ArtifactSummary, Resources } from '../../../../shared/contracts/collections';
import type { Target } from '../../../../shared/contracts/connections';
import type { HuntScope } from '../../../../shared/contracts/hunts';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';
import { ArtifactPicker } from '../../components/collect/ArtifactPicker';
import {
  ParameterStep,
  ParameterSummary,
  useArtifactParameters,
  type ParamValues,
  type WizardDraft,
} from '../../components/collect/ParameterStep';
import { ResourcesEditor } from '../../components/collect/ParamsAndResources';
import { describeError } from '../../../../shared/errors';

export interface HuntPrefill extends Partial<WizardDraft> {
  scope?: HuntScope;
  description?: string;
}

export function HuntWizard(props: {
  target: Target;
  opened: boolean;
  onClose: () => void;
  onCreated: (id: string) => void;
  initial?: HuntPrefill;
}) {
  const api = useApi();
  const init = props.initial;
  const [step, setStep] = useState(init?.artifacts?.length ? 1 : 0);
  const [artifacts, setArtifacts] = useState<ArtifactSummary[]>(init?.artifacts ?? []);
  const [values, setValues] = useState<ParamValues>(init?.values ?? {});
  const [scope, setScope] = useState<HuntScope>(
    init?.scope ?? { includeLabels: [], excludeLabels: [], os: '' },
  );
  const [dScope] = useDebouncedValue(scope, 300);
  const estimate = useCall('hunts:estimate', { target: props.target, scope: dScope }).value ?? null;
  // Labels the server's clients carry, offered in the label fields.
  const known = useCall('clients:search', { target: props.target, query: 'all', limit: 1000 }).value;
  const labelChoices = [...new Set((known?.clients ?? []).flatMap((c) => c.labels))].sort();
  const mismatch = osMismatch(
    artifacts.map((a) => a.name),
    scope.os,
  );
  const OS_NAMES: Record<string, string> = { windows: 'Windows', linux: 'Linux', darwin: 'macOS' };
  const [description, setDescription] = useState(init?.description ?? '');
  const [expiresHours, setExpiresHours] = useState(24 * 7);
  const [resources, setResources] = useState<Resources>({ ...(init?.resources ?? {}), urgent: false });
  const [paused, setPaused] = useState(true);
  const [busy, setBusy] = useState(false);

  const { parameters, error: paramError } = useArtifactParameters(artifacts, values, resources);
  const create = () => {
    setBusy(true);
    api
      .call('hunts:create', {
        target: props.target,
        description: description.trim() || artifacts.map((a) => a.name).join(', '),
        artifacts: artifacts.map((a) => a.name),
        parameters,
        scope,
        expiresHours,
        resources,
        paused,
      })
      .then((r) => {
        notifications.show({
          color: 'green',
          message: `Hunt ${r.huntId} created${paused ? ' (paused: start it when ready)' : ''}.`,
        });
        setStep(0);
        setArtifacts([]);
        props.onCreated(r.huntId);
      })
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: 'Hunt not created', message: describeError(e) }),
      )
      .finally(() => setBusy(false));
  };
  const last = 4;
  return (
    <Modal opened={props.opened} onClose={props.onClose} size="xl" title="New hunt">
      <Stepper active={step} onStepClick={setStep} size="sm">
        <Stepper.Step label="Artifacts">
          <ArtifactPicker target={props.target} selected={artifacts} onChange={setArtifacts} />
        </Stepper.Step>
        <Stepper.Step label="Parameters">
          <ParameterStep artifacts={artifacts} values={values} onChange={setValues} error={paramError} />
        </Stepper.Step>
        <Stepper.Step label="Clients">
          <Text size="sm" mb={4}>
            Operating system (Velociraptor ignores include labels when an OS is chosen)
          </Text>
          <SegmentedControl
            value={scope.os}
            onChange={(v) =>
              setScope({ ...scope, os: v === 'windows' || v === 'linux' || v === 'darwin' ? v : '' })
            }
            data={[
              { value: '', label: 'Any' },
              { value: 'windows', label: 'Windows' },
              { value: 'linux', label: 'Linux' },
              { value: 'darwin', label: 'macOS' },
            ]}
          />
          <TagsInput
            mt="sm"
            label="Include clients with any of these labels"
            data={labelChoices}
            data-testid="hunt-include-labels"
            disabled={scope.os !== ''}
            value={scope.includeLabels}
            onChange={(v) => setScope({ ...scope, includeLabels: v })}
          />
          <TagsInput
            mt="sm"
            label="Exclude clients with these labels"
            data={labelChoices}
            value={scope.excludeLabels}
            onChange={(v) => setScope({ ...scope, excludeLabels: v })}
          />
          {mismatch ? (
            <Alert
              mt="sm"
              color="orange"
              title="OS-specific artifacts on other systems"
              data-testid="hunt-os-warning"
            >
              {mismatch.specific.map((a) => `${a.name} is written for ${OS_NAMES[a.os]}`).join('; ')}.{' '}
              {scope.os ? `Scoped to ${OS_NAMES[scope.os]}` : 'Scoped to any OS'}, the other machines get a
              collection that errors or finds nothing.
              {mismatch.only ? (
                <Button
                  size="compact-xs"
                  ml="xs"
                  variant="light"
                  data-testid="hunt-os-fix"
                  onClick={() => setScope({ ...scope, os: mismatch.only ?? '' })}
                >
                  Scope to {OS_NAMES[mismatch.only]}
                </Button>
              ) : null}
            </Alert>
          ) : null}
          <Alert mt="sm" color="blue" data-testid="hunt-estimate">
            {estimate
              ? `About ${estimate.count} clients match now (${estimate.online} online)${estimate.sample.length ? `, e.g. ${estimate.sample.join(', ')}` : ''}. Clients that appear later join while the hunt runs.`
              : 'Estimating…'}
          </Alert>
        </Stepper.Step>
        <Stepper.Step label="Limits">
          <Textarea
            label="Description"
            placeholder="What this hunt looks for and why"
            value={description}
            onChange={(e) => setDescription(e.currentTarget.value)}
          />
          <NumberInput
            mt="sm"
            label="Expires after (hours)"
            min={1}
            value={expiresHours}
            onChange={(v) => setExpiresHours(Number(v) || 1)}
          />
          <Text fw={600} mt="sm">
            Resources per client
          </Text>
          <ResourcesEditor value={resources} onChange={setResources} showUrgent={false} />
          <Switch
            mt="md"
            label="Create paused (start it from the dashboard)"
            checked={paused}
            onChange={(e) => setPaused(e.currentTarget.checked)}
          />
        </Stepper.Step>
        <Stepper.Step label="Review">
          <List size="sm" data-testid="hunt-review">
            {artifacts.map((a) => (
              <List.Item key={a.name}>
                <ParameterSummary artifact={a.name} parameters={parameters} />
              </List.Item>
            ))}
            <List.Item>
              Clients:{' '}
              {scope.os
                ? `OS ${scope.os}`
                : scope.includeLabels.length
                  ? `labels ${scope.includeLabels.join(', ')}`
                  : 'all'}
              {scope.excludeLabels.length ? `, excluding ${scope.excludeLabels.join(', ')}` : ''} (≈
              {estimate?.count ?? '?'})
            </List.Item>
            <List.Item>
              Expires in {expiresHours} h · {paused ? 'created paused' : 'starts at once'}
            </List.Item>
          </List>
          {paramError ? <Text c="red">{paramError}</Text> : null}
        </Stepper.Step>
      </Stepper>
      <Group justify="flex-end" mt="md">
        {step > 0 ? (
          <Button variant="default" onClick={() => setStep(step - 1)}>
            Back
          </Button>
        ) : null}
        {step < last ? (
          <Button
            disabled={artifacts.length === 0 || (step === 1 && paramError !== null)}
            onClick={() => setStep(step + 1)}
            data-testid="hunt-next"
          >
            Next
          </Button>
        ) : (
          <Button loading={busy} disabled={paramError !== null} onClick={create} data-testid="hunt-create">
            Create hunt
          </Button>
        )}
      </Group>
    </Modal>
  );
}
