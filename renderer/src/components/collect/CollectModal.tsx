/**
 * The collection wizard: artifacts → parameters and resources → review and launch, on one client
 * or many. Past `huntAbove` clients it suggests a hunt (one server-side schedule that also reaches
 * clients coming online later) and can hand its choices to the hunt wizard.
 */
import { Alert, Button, Group, List, Modal, Stepper, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconTarget } from '@tabler/icons-react';
import { useState } from 'react';
import { BULK_MAX_CLIENTS } from '../../../../shared/contracts/clients';
import type { ArtifactSummary, Resources } from '../../../../shared/contracts/collections';
import type { Target } from '../../../../shared/contracts/connections';
import { useApi } from '../../api/index';
import { ArtifactPicker } from './ArtifactPicker';
import {
  ParameterStep,
  ParameterSummary,
  useArtifactParameters,
  type ParamValues,
  type WizardDraft,
} from './ParameterStep';
import { describeError } from '../../../../shared/errors';

export interface LaunchResult {
  flows: Array<{ clientId: string; flowId: string }>;
  failures: Array<{ clientId: string; message: string }>;
}

/** Above this many clients the wizard recommends a hunt. */
export const HUNT_SUGGESTED_ABOVE = 50;

export function CollectModal(props: {
  target: Target;
  clientIds: string[];
  /** Host names to show in the review, by client id. */
  names?: ReadonlyMap<string, string>;
  opened: boolean;
  onClose: () => void;
  onLaunched: (result: LaunchResult, artifacts: string[]) => void;
  /** When given, many clients get a "Create a hunt instead" button that hands over the choices. */
  onHuntInstead?: (draft: WizardDraft) => void;
}) {
  const api = useApi();
  const [step, setStep] = useState(0);
  const [artifacts, setArtifacts] = useState<ArtifactSummary[]>([]);
  const [values, setValues] = useState<ParamValues>({});
  const [resources, setResources] = useState<Resources>({ urgent: false });
  const [busy, setBusy] = useState(false);
  const { parameters, error: paramError } = useArtifactParameters(artifacts, values, resources);
  const n = props.clientIds.length;
  const tooMany = n > BULK_MAX_CLIENTS;
  const many = n > HUNT_SUGGESTED_ABOVE;
  const reset = () => {
    setStep(0);
    setArtifacts([]);
    setValues({});
  };
  const launch = () => {
    setBusy(true);
    api
      .call('collections:launch', {
        target: props.target,
        clientIds: props.clientIds,
        artifacts: artifacts.map((a) => a.name),
        parameters,
        resources,
      })
      .then((r) => {
        if (n === 1)
          for (const f of r.failures)
            notifications.show({ color: 'red', title: `Not launched on ${f.clientId}`, message: f.message });
        notifications.show({
          color: r.failures.length ? 'yellow' : 'green',
          message: `Collection started on ${r.flows.length} client(s)${r.failures.length ? `; ${r.failures.length} failed` : ''}.`,
        });
        props.onLaunched(
          r,
          artifacts.map((a) => a.name),
        );
        reset();
      })
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: 'Collection not started', message: describeError(e) }),
      )
      .finally(() => setBusy(false));
  };
  const name = (id: string) => {
    const h = props.names?.get(id);
    return h ? `${h} (${id})` : id;
  };
  const suggestion = many ? (
    <Alert
      color={tooMany ? 'red' : 'blue'}
      icon={<IconTarget size={16} />}
      mb="sm"
      data-testid="hunt-suggestion"
      title={
        tooMany
          ? `More than ${BULK_MAX_CLIENTS.toLocaleString()} clients: use a hunt`
          : `${n} clients: a hunt scales better`
      }
    >
      <Text size="sm">
        {tooMany
          ? `One launch takes at most ${BULK_MAX_CLIENTS.toLocaleString()} clients. `
          : `This starts ${n} separate collections, one request per client. `}
        A hunt is one schedule on the server: clients pick it up as they check in, including those offline
        now, and its results are gathered in one place.
      </Text>
      {props.onHuntInstead ? (
        <Button
          mt="xs"
          size="xs"
          variant="light"
          disabled={artifacts.length === 0}
          onClick={() => props.onHuntInstead?.({ artifacts, values, resources })}
          data-testid="collect-hunt-instead"
        >
          {artifacts.length === 0 ? 'Choose artifacts, then create a hunt instead' : 'Create a hunt instead…'}
        </Button>
      ) : null}
    </Alert>
  ) : null;
  return (
    <Modal
      opened={props.opened}
      onClose={props.onClose}
      size="xl"
      title={`Collect artifacts on ${n === 1 ? name(props.clientIds[0] ?? '') : `${n} clients`}`}
    >
      {suggestion}
      <Stepper active={step} onStepClick={setStep} size="sm">
        <Stepper.Step label="Artifacts">
          <ArtifactPicker target={props.target} selected={artifacts} onChange={setArtifacts} />
        </Stepper.Step>
        <Stepper.Step label="Parameters">
          <ParameterStep
            artifacts={artifacts}
            values={values}
            onChange={setValues}
            error={paramError}
            resources={{ value: resources, onChange: setResources }}
          />
        </Stepper.Step>
        <Stepper.Step label="Review">
          <List size="sm" data-testid="collect-review">
            <List.Item>
              {n === 1 ? 'Client' : `${n} clients`}: {props.clientIds.slice(0, 12).map(name).join(', ')}
              {n > 12 ? ` and ${n - 12} more` : ''}
            </List.Item>
            {artifacts.map((a) => (
              <List.Item key={a.name}>
                <ParameterSummary artifact={a.name} parameters={parameters} />
              </List.Item>
            ))}
            <List.Item>
              Resources:{' '}
              {resources.timeoutSeconds ? `timeout ${resources.timeoutSeconds} s` : 'default timeout'}
              {resources.cpuLimit ? `, CPU ≤ ${resources.cpuLimit}%` : ''}
              {resources.maxRows ? `, ≤ ${resources.maxRows} rows` : ''}
              {resources.maxBytes ? `, ≤ ${resources.maxBytes} bytes uploaded` : ''}
              {resources.urgent ? ', urgent' : ''}
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
        {step < 2 ? (
          <Button
            disabled={artifacts.length === 0 || (step === 1 && paramError !== null)}
            onClick={() => setStep(step + 1)}
            data-testid="collect-next"
          >
            Next
          </Button>
        ) : (
          <Button
            loading={busy}
            disabled={paramError !== null || tooMany}
            onClick={launch}
            data-testid="collect-launch"
          >
            {n === 1 ? 'Launch' : `Launch on ${n} clients`}
          </Button>
        )}
      </Group>
    </Modal>
  );
}
