/**
 * The deployment wizard: target → profile → settings → review (the backend's plan: every step and
 * every resource it will create) → live progress → result. The plan is made by the core
 * (`deploy:plan`), so what the review shows is exactly what `deploy:start` runs. While it runs the
 * wizard cannot be closed by accident: closing cancels the stream, and the core rolls back.
 * Test ids: `deploy-wizard`, `wizard-target-<t>`, `wizard-profile-<p>`, `wizard-next`, `wizard-back`,
 * `wizard-review`, `review-step-<id>`, `review-warnings`, `review-cost`, `review-checks`, `review-check-<id>`,
 * `wizard-deploy`, `wizard-error`, `wizard-close`.
 */
import {
  Accordion,
  Alert,
  Badge,
  Button,
  Card,
  Group,
  List,
  Loader,
  Modal,
  NumberInput,
  SimpleGrid,
  Stack,
  Stepper,
  Table,
  Text,
  ThemeIcon,
  Title,
} from '@mantine/core';
import {
  IconBrandAws,
  IconBrandAzure,
  IconBrandDocker,
  IconFlask,
  IconServer,
  IconShieldCheck,
} from '@tabler/icons-react';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import type {
  DeploymentSummary,
  HostKeyCheck,
  PlanView,
  ProfileView,
} from '../../../../shared/contracts/deploy';
import type { CostHint, PreflightCheck } from '../../../../shared/deploy';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { formatIso, useTimeZone } from '../../components/investigation/time';
import { HostKeyPanel } from './HostKeyPanel';
import { ProgressView } from './ProgressView';
import { ResultPanel } from './ResultPanel';
import { SettingsStep } from './SettingsStep';
import { useProgressRun } from './use-progress-run';
import {
  defaultForm,
  formProblems,
  overridesOf,
  profileRules,
  settingsOf,
  type WizardForm,
  type WizardTarget,
} from './wizard-form';

type Options = { profiles: ProfileView[]; dockerEngine: WizardForm['docker']['engine']; defaultTag: string };

const TARGETS: Array<{ id: WizardTarget; title: string; icon: ReactNode; text: string }> = [
  {
    id: 'docker',
    title: 'Docker',
    icon: <IconBrandDocker size={22} />,
    text: 'A container on a Docker engine (this machine or one you reach), with a volume, limits and a health check. Linux containers only.',
  },
  {
    id: 'ssh',
    title: 'Linux host over SSH',
    icon: <IconServer size={22} />,
    text: 'A systemd service on a Linux host you can log in to: the verified binary, its config (0600) and a unit run as a velociraptor user.',
  },
  {
    id: 'lab',
    title: 'Local lab',
    icon: <IconFlask size={22} />,
    text: 'A server and a client on this machine, on 127.0.0.1, to try artifacts, notebooks and hunts before an incident.',
  },
  {
    id: 'aws',
    title: 'AWS',
    icon: <IconBrandAws size={22} />,
    text: 'An EC2 VM made by one CloudFormation stack; the config reaches it through Secrets Manager, deleted once verified. It destroys itself on time without this machine.',
  },
  {
    id: 'azure',
    title: 'Azure',
    icon: <IconBrandAzure size={22} />,
    text: 'A VM in a resource group of its own; the config reaches it through Key Vault, deleted and purged once verified. It shuts itself down on time without this machine.',
  },
];

const STEP = { target: 0, profile: 1, settings: 2, review: 3, progress: 4, result: 5 } as const;

export function DeployWizard({
  opened,
  onClose,
  onChanged,
}: {
  opened: boolean;
  onClose: () => void;
  /** Something was deployed or rolled back: the list refreshes. */
  onChanged: () => void;
}) {
  return (
    <Modal
      opened={opened}
      onClose={onClose}
      size="xl"
      title="New deployment"
      closeOnClickOutside={false}
      closeOnEscape={false}
      withCloseButton={false}
    >
      {opened ? <WizardBody onClose={onClose} onChanged={onChanged} /> : null}
    </Modal>
  );
}

function WizardBody({ onClose, onChanged }: { onClose: () => void; onChanged: () => void }) {
  const api = useApi();
  const [options, setOptions] = useState<Options>();
  const [form, setForm] = useState<WizardForm>();
  const [step, setStep] = useState<number>(STEP.target);
  const [plan, setPlan] = useState<PlanView>();
  const [planning, setPlanning] = useState(false);
  const [error, setError] = useState<string>();
  const [result, setResult] = useState<DeploymentSummary>();
  const [asking, setAsking] = useState(false);
  // The SSH host's key as the core checked it before the plan, for the host and port it was checked for.
  const [hostKey, setHostKey] = useState<HostKeyCheck>();
  const [trusting, setTrusting] = useState(false);

  useEffect(() => {
    api
      .call('deploy:options', {})
      .then((o) => {
        setOptions(o);
        setForm(defaultForm({ defaultTag: o.defaultTag, dockerEngine: o.dockerEngine }));
      })
      .catch((e: unknown) => setError(describeError(e)));
  }, [api]);

  const finished = useCallback(
    (status: 'done' | 'failed') => {
      onChanged();
      if (status !== 'done' || !plan) return;
      api
        .call('deploy:status', { id: plan.deploymentId })
        .then((s) => {
          setResult(s.deployment);
          setStep(STEP.result);
        })
        .catch((e: unknown) => setError(describeError(e)));
    },
    [api, onChanged, plan],
  );
  const run = useProgressRun(finished);

  // Each step starts at its top: the result is taller than the dialog, and the step before ended at its bottom.
  const top = useRef<HTMLDivElement>(null);
  useEffect(() => {
    top.current?.scrollIntoView({ block: 'start' });
  }, [step]);

  const update = useCallback(
    (change: (f: WizardForm) => WizardForm) => setForm((f) => (f ? change(f) : f)),
    [],
  );

  if (!form || !options)
    return error ? (
      <Stack>
        <Alert color="red" data-testid="wizard-error">
          {error}
        </Alert>
        <Group justify="flex-end">
          <Button variant="default" onClick={onClose}>
            Close
          </Button>
        </Group>
      </Stack>
    ) : (
      <Loader />
    );

  const profile = options.profiles.find((p) => p.name === form.profile);
  const problems = step === STEP.settings ? formProblems(form) : [];

  const overrides = profile ? overridesOf(form, profile) : undefined;
  const makePlan = () => {
    setPlanning(true);
    setError(undefined);
    setPlan(undefined);
    api
      .call('deploy:plan', {
        target: form.target,
        name: form.name.trim(),
        profile: form.profile,
        ...(overrides ? { overrides } : {}),
        settings: settingsOf(form),
      })
      .then((p) => {
        setPlan(p);
        setStep(STEP.review);
      })
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setPlanning(false));
  };

  const deploy = () => {
    if (!plan) return;
    setError(undefined);
    setStep(STEP.progress);
    run.start((h) => api.stream('deploy:start', { id: plan.deploymentId }, h), plan.steps);
  };

  const sshHost = { host: form.ssh.host.trim(), port: form.ssh.port };
  const shownHostKey =
    hostKey && hostKey.host === sshHost.host && hostKey.port === sshHost.port ? hostKey : undefined;
  // An SSH host's key is checked first: a new one is confirmed by the responder, a changed one stops here.
  const checkHostKeyThenPlan = () => {
    setPlanning(true);
    setHostKey(undefined);
    api
      .call('deploy:host-key', sshHost)
      .then((k) => {
        if (k.status === 'known') makePlan();
        else {
          setHostKey(k);
          setPlanning(false);
        }
      })
      .catch((e: unknown) => {
        setError(describeError(e));
        setPlanning(false);
      });
  };
  const trustHostKey = () => {
    if (!shownHostKey) return;
    setTrusting(true);
    setError(undefined);
    api
      .call('deploy:trust-host-key', { ...sshHost, fingerprint: shownHostKey.fingerprint })
      .then(() => {
        setHostKey(undefined);
        makePlan();
      })
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setTrusting(false));
  };

  const running = run.status === 'running';
  const next = () => {
    setError(undefined);
    if (step === STEP.settings) {
      if (form.target === 'ssh') checkHostKeyThenPlan();
      else makePlan();
    } else setStep((s) => s + 1);
  };

  const close = () => (running ? setAsking(true) : onClose());

  return (
    <Stack data-testid="deploy-wizard" data-step={step} ref={top}>
      <Stepper active={step} size="sm" allowNextStepsSelect={false}>
        <Stepper.Step label="Target">
          <SimpleGrid cols={3}>
            {TARGETS.map((t) => (
              <Card
                key={t.id}
                withBorder
                padding="sm"
                style={{
                  cursor: 'pointer',
                  borderColor: form.target === t.id ? 'var(--mantine-color-blue-6)' : undefined,
                  borderWidth: form.target === t.id ? 2 : undefined,
                }}
                onClick={() => update((f) => ({ ...f, target: t.id }))}
                data-testid={`wizard-target-${t.id}`}
                data-selected={form.target === t.id}
                role="radio"
                aria-checked={form.target === t.id}
              >
                <Group gap="xs" mb={4}>
                  <ThemeIcon variant="light">{t.icon}</ThemeIcon>
                  <Text fw={600}>{t.title}</Text>
                </Group>
                <Text size="xs" c="dimmed">
                  {t.text}
                </Text>
              </Card>
            ))}
          </SimpleGrid>
        </Stepper.Step>
        <Stepper.Step label="Profile">
          <SimpleGrid cols={3}>
            {options.profiles.map((p) => {
              const allowed = p.allowedTargets.includes(form.target);
              return (
                <Card
                  key={p.name}
                  withBorder
                  padding="sm"
                  style={{
                    cursor: allowed ? 'pointer' : 'not-allowed',
                    opacity: allowed ? 1 : 0.5,
                    borderColor: form.profile === p.name ? 'var(--mantine-color-blue-6)' : undefined,
                    borderWidth: form.profile === p.name ? 2 : undefined,
                  }}
                  onClick={() => allowed && update((f) => ({ ...f, profile: p.name }))}
                  data-testid={`wizard-profile-${p.name}`}
                  data-selected={form.profile === p.name}
                  role="radio"
                  aria-checked={form.profile === p.name}
                  aria-disabled={!allowed}
                >
                  <Text fw={600}>{p.title}</Text>
                  <Text size="xs" c="dimmed" mb="xs">
                    {p.description}
                  </Text>
                  {allowed ? null : (
                    <Text size="xs" c="orange" mb="xs">
                      Not for this target.
                    </Text>
                  )}
                  <List size="xs" spacing={2} icon={<IconShieldCheck size={12} />}>
                    {profileRules(p).map((r) => (
                      <List.Item key={r}>{r}</List.Item>
                    ))}
                  </List>
                </Card>
              );
            })}
          </SimpleGrid>
          {profile?.autoDestroyHours != null ? (
            <NumberInput
              mt="sm"
              maw={320}
              label="Destroys itself after (hours)"
              description="Enforced on the target too (its own timer); it can be extended later, up to two weeks"
              min={1}
              max={14 * 24}
              value={form.autoDestroyHours ?? profile.autoDestroyHours}
              onChange={(v) => {
                const hours = typeof v === 'number' ? v : Number(v);
                update((f) => ({
                  ...f,
                  autoDestroyHours: Number.isFinite(hours) && hours > 0 ? hours : null,
                }));
              }}
              data-testid="wizard-auto-destroy"
            />
          ) : null}
          <Text size="xs" c="dimmed" mt="xs">
            A profile is enforced, not only recorded: the plan refuses targets it does not allow and a target
            below its minimum fails the pre-flight checks before anything is made.
          </Text>
        </Stepper.Step>
        <Stepper.Step label="Settings">
          <SettingsStep form={form} update={update} />
          {form.target === 'ssh' && shownHostKey ? (
            <HostKeyPanel check={shownHostKey} trusting={trusting} onTrust={trustHostKey} />
          ) : null}
        </Stepper.Step>
        <Stepper.Step label="Review">
          {plan ? <Review plan={plan} checks={<TargetChecks deploymentId={plan.deploymentId} />} /> : null}
        </Stepper.Step>
        <Stepper.Step label="Deploy" loading={running}>
          <ProgressView model={run.model} running={running} />
        </Stepper.Step>
        <Stepper.Completed>
          {result ? (
            <Stack>
              <ResultPanel deployment={result} />
              <Accordion variant="contained">
                <Accordion.Item value="run">
                  <Accordion.Control data-testid="result-run">
                    How it went: steps, timeline, log
                  </Accordion.Control>
                  <Accordion.Panel>
                    <ProgressView model={run.model} running={false} />
                  </Accordion.Panel>
                </Accordion.Item>
              </Accordion>
            </Stack>
          ) : (
            <Loader />
          )}
        </Stepper.Completed>
      </Stepper>

      {problems.length ? (
        <Alert color="yellow" data-testid="wizard-problems">
          <List size="sm">
            {problems.map((p) => (
              <List.Item key={p}>{p}</List.Item>
            ))}
          </List>
        </Alert>
      ) : null}
      {run.error ? (
        <Alert color="red" title="The deployment did not complete" data-testid="wizard-error">
          {run.error}
        </Alert>
      ) : null}
      {error ? (
        <Alert color="red" data-testid="wizard-error">
          {error}
        </Alert>
      ) : null}
      {step === STEP.profile && profile && !profile.allowedTargets.includes(form.target) ? (
        <Alert color="orange">{`The ${profile.title} profile does not allow this target: choose another.`}</Alert>
      ) : null}
      {asking ? (
        <Alert color="orange" title="Stop the deployment?">
          <Text size="sm">
            Closing stops it: the core rolls back what it has made so far. Anything it cannot remove stays
            listed under Deployments for clean-up.
          </Text>
          <Group mt="xs">
            <Button size="xs" color="orange" onClick={onClose} data-testid="wizard-stop">
              Stop and close
            </Button>
            <Button size="xs" variant="default" onClick={() => setAsking(false)}>
              Keep going
            </Button>
          </Group>
        </Alert>
      ) : null}

      <Group justify="space-between">
        <Button variant="default" onClick={close} data-testid="wizard-close">
          {step === STEP.result ? 'Done' : running ? 'Stop…' : 'Cancel'}
        </Button>
        <Group gap="xs">
          {step > STEP.target && step <= STEP.review ? (
            <Button variant="default" onClick={() => setStep((s) => s - 1)} data-testid="wizard-back">
              Back
            </Button>
          ) : null}
          {step === STEP.progress && run.status === 'failed' ? (
            <Button
              variant="default"
              onClick={() => {
                setPlan(undefined);
                setStep(STEP.settings);
              }}
              data-testid="wizard-back"
            >
              Back to settings
            </Button>
          ) : null}
          {step < STEP.review ? (
            <Button
              onClick={next}
              loading={planning}
              disabled={
                (step === STEP.profile && !profile?.allowedTargets.includes(form.target)) ||
                (step === STEP.settings && problems.length > 0) ||
                (step === STEP.settings && form.target === 'ssh' && shownHostKey?.status === 'changed')
              }
              data-testid="wizard-next"
            >
              {step === STEP.settings ? 'Review the plan' : 'Next'}
            </Button>
          ) : null}
          {step === STEP.review ? (
            <Button color="green" onClick={deploy} disabled={!plan} data-testid="wizard-deploy">
              Deploy
            </Button>
          ) : null}
        </Group>
      </Group>
    </Stack>
  );
}

/**
 * The target's pre-flight checks of the plan, asked for as the review opens (read-only): who the cloud
 * credentials are (the AWS account from STS, the Azure subscription), names free. Deploying runs them
 * again before anything is made.
 */
function TargetChecks({ deploymentId }: { deploymentId: string }) {
  const api = useApi();
  const [checks, setChecks] = useState<PreflightCheck[]>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let live = true;
    api
      .call('deploy:check', { id: deploymentId })
      .then((r) => live && setChecks(r.checks))
      .catch((e: unknown) => live && setError(describeError(e)));
    return () => {
      live = false;
    };
  }, [api, deploymentId]);
  const color = { ok: 'green', warn: 'orange', failed: 'red' } as const;
  return (
    <Stack gap={4} data-testid="review-checks" data-done={checks !== undefined || error !== undefined}>
      <Text size="sm" fw={500}>
        Checked on the target now (nothing made yet):
      </Text>
      {error ? (
        <Alert color="red">{error}</Alert>
      ) : checks ? (
        checks.map((c) => (
          <Group
            key={c.id}
            gap="xs"
            wrap="nowrap"
            data-testid={`review-check-${c.id}`}
            data-status={c.status}
          >
            <Badge size="xs" color={color[c.status]} style={{ flexShrink: 0 }}>
              {c.status}
            </Badge>
            <Text size="xs">
              <b>{c.title}</b>: {c.message}
            </Text>
          </Group>
        ))
      ) : (
        <Loader size="xs" />
      )}
    </Stack>
  );
}

/** What the cloud resources cost per hour and until the self-destruction (list prices). */
function CostTable({ cost }: { cost: CostHint }) {
  const usd = (n: number) => `$${n.toFixed(n < 1 ? 3 : 2)}`;
  return (
    <Stack gap={4} data-testid="review-cost">
      <Text size="sm" fw={500}>
        {cost.total === null
          ? `About ${usd(cost.hourly)} an hour, with no self-destruction: it runs until you destroy it.`
          : `About ${usd(cost.total)} in all: ${usd(cost.hourly)} an hour for ${cost.hours} hours until it destroys itself.`}
      </Text>
      <Table fz="xs" withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Billed item</Table.Th>
            <Table.Th>Count</Table.Th>
            <Table.Th>Per hour</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {cost.items.map((i) => (
            <Table.Tr key={i.what}>
              <Table.Td>{i.what}</Table.Td>
              <Table.Td>{i.count}</Table.Td>
              <Table.Td>{usd(i.hourly)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      <Text size="xs" c="dimmed">
        {cost.basis}
      </Text>
    </Stack>
  );
}

/** Every step of the plan with the resources it creates, the profile as applied, and the warnings. */
function Review({ plan, checks }: { plan: PlanView; checks: ReactNode }) {
  const zone = useTimeZone();
  const count = plan.steps.reduce((n, s) => n + s.resources.length, 0);
  return (
    <Stack gap="sm" data-testid="wizard-review">
      <Group gap="xs">
        <Title order={5}>{plan.name}</Title>
        <Badge variant="light">{plan.target}</Badge>
        <Badge variant="light" color="grape">
          {plan.profile.title}
        </Badge>
        {plan.profile.overridden.length ? (
          <Badge variant="light" color="orange">{`overridden: ${plan.profile.overridden.join(', ')}`}</Badge>
        ) : null}
      </Group>
      <Text size="sm">
        {plan.autoDestroyAt
          ? `Destroys itself around ${formatIso(plan.autoDestroyAt, zone)} if deployed now (the countdown starts when it is deployed), unless extended.`
          : 'No self-destruction.'}
      </Text>
      {plan.warnings.length ? (
        <Alert color="orange" title="Before you deploy" data-testid="review-warnings">
          <List size="sm">
            {plan.warnings.map((w) => (
              <List.Item key={w}>{w}</List.Item>
            ))}
          </List>
        </Alert>
      ) : null}
      {plan.cost ? <CostTable cost={plan.cost} /> : null}
      {checks}
      <Text
        size="sm"
        fw={500}
      >{`${plan.steps.length} steps will create ${count} resources, each journaled before and after it is made:`}</Text>
      <Table fz="xs" withTableBorder>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Step</Table.Th>
            <Table.Th>Creates</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {plan.steps.map((s) => (
            <Table.Tr key={s.id} data-testid={`review-step-${s.id}`}>
              <Table.Td style={{ verticalAlign: 'top' }}>{s.title}</Table.Td>
              <Table.Td>
                {s.resources.length ? (
                  <Stack gap={2}>
                    {s.resources.map((r) => (
                      <Text key={`${r.kind}:${r.id}`} size="xs">
                        <Badge size="xs" variant="outline" mr={4}>
                          {r.kind}
                        </Badge>
                        {r.title}{' '}
                        <Text span size="xs" c="dimmed" ff="monospace">
                          {r.id}
                        </Text>
                      </Text>
                    ))}
                  </Stack>
                ) : (
                  <Text size="xs" c="dimmed">
                    checks only
                  </Text>
                )}
              </Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Stack>
  );
}
