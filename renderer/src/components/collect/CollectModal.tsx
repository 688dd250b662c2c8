/** The collection wizard: artifacts → parameters and resources → review and launch. */
import { Button, Group, List, Modal, Stepper, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { useState } from 'react';
import type { ArtifactSummary, Resources } from '../../../../shared/contracts/collections';
import type { Target } from '../../../../shared/contracts/connections';
import { useApi } from '../../api/index';
import { errorText } from '../investigation/errors';
import { ArtifactPicker } from './ArtifactPicker';
import { buildParameters, ParamsEditor, ResourcesEditor, type ParamValues } from './ParamsAndResources';

export function CollectModal(props: { target: Target; clientIds: string[]; opened: boolean; onClose: () => void; onLaunched: (flows: Array<{ clientId: string; flowId: string }>) => void }) {
  const api = useApi();
  const [step, setStep] = useState(0);
  const [artifacts, setArtifacts] = useState<ArtifactSummary[]>([]);
  const [values, setValues] = useState<ParamValues>({});
  const [resources, setResources] = useState<Resources>({ urgent: false });
  const [busy, setBusy] = useState(false);
  let paramError: string | null = null;
  let parameters: Record<string, Record<string, string>> = {};
  try {
    parameters = buildParameters(artifacts, values);
  } catch (e) {
    paramError = errorText(e);
  }
  const launch = () => {
    setBusy(true);
    api
      .call('collections:launch', { target: props.target, clientIds: props.clientIds, artifacts: artifacts.map((a) => a.name), parameters, resources })
      .then((r) => {
        for (const f of r.failures) notifications.show({ color: 'red', title: `Not launched on ${f.clientId}`, message: f.message });
        notifications.show({ color: 'green', message: `Collection started on ${r.flows.length} client(s).` });
        props.onLaunched(r.flows);
        setStep(0);
        setArtifacts([]);
        setValues({});
      })
      .catch((e: unknown) => notifications.show({ color: 'red', title: 'Collection not started', message: errorText(e) }))
      .finally(() => setBusy(false));
  };
  return (
    <Modal opened={props.opened} onClose={props.onClose} size="xl" title={`Collect artifacts on ${props.clientIds.length === 1 ? props.clientIds[0] : `${props.clientIds.length} clients`}`}>
      <Stepper active={step} onStepClick={setStep} size="sm">
        <Stepper.Step label="Artifacts">
          <ArtifactPicker target={props.target} selected={artifacts} onChange={setArtifacts} />
        </Stepper.Step>
        <Stepper.Step label="Parameters">
          <ParamsEditor artifacts={artifacts} values={values} onChange={setValues} />
          <Text fw={600} mt="md" mb="xs">
            Resources
          </Text>
          <ResourcesEditor value={resources} onChange={setResources} />
        </Stepper.Step>
        <Stepper.Step label="Review">
          <List size="sm">
            <List.Item>Clients: {props.clientIds.join(', ')}</List.Item>
            {artifacts.map((a) => (
              <List.Item key={a.name}>
                {a.name} {parameters[a.name] ? <Text span c="dimmed">{JSON.stringify(parameters[a.name])}</Text> : <Text span c="dimmed">(defaults)</Text>}
              </List.Item>
            ))}
            <List.Item>Resources: {JSON.stringify(resources)}</List.Item>
          </List>
          {paramError ? <Text c="red">{paramError}</Text> : null}
        </Stepper.Step>
      </Stepper>
      <Group justify="flex-end" mt="md">
        {step > 0 ? <Button variant="default" onClick={() => setStep(step - 1)}>Back</Button> : null}
        {step < 2 ? (
          <Button disabled={artifacts.length === 0} onClick={() => setStep(step + 1)} data-testid="collect-next">
            Next
          </Button>
        ) : (
          <Button loading={busy} disabled={paramError !== null} onClick={launch} data-testid="collect-launch">
            Launch
          </Button>
        )}
      </Group>
    </Modal>
  );
}
