/**
 * The agents wizard: hosts (paste, CSV with its columns mapped, or a range) → server and method → login
 * (keychain records only) → host keys (SSH: each host's key checked, new ones confirmed by the
 * responder) or certificates (WinRM: WinRmCertsStep) → review (the core's `agents:review`: the hosts as the run lists them, where agents dial,
 * what lands where) → start. The run goes on in the core; the page shows its live table.
 * Test ids: `agent-wizard`, `agents-next`, `agents-back`, `agents-start`, `agents-error`,
 * `agents-problems`, `agents-host-count`, `agents-review`, `hostkeys-*`.
 */
import {
  Alert,
  Button,
  Code,
  Group,
  List,
  Modal,
  NumberInput,
  SegmentedControl,
  Select,
  Stack,
  Stepper,
  Switch,
  Table,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { useCallback, useMemo, useState } from 'react';
import { WINRM_HTTP_WARNING } from '../../../../shared/agents';
import type { HostKeyScan, PushReview } from '../../../../shared/contracts/agents';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';
import {
  csvHeader,
  defaultAgentForm,
  formProblems,
  hostsOf,
  keyedHosts,
  requestOf,
  type AgentForm,
  type CsvMapping,
} from './agent-form';
import { JumpHostsField } from './JumpHostsField';
import { PushModeChoice } from './PushModeChoice';
import { SecretPicker } from './SecretPicker';
import { ConfirmIdentitiesStep } from './ConfirmIdentitiesStep';
import { WinRmCertsStep } from './WinRmCertsStep';

const STEP = { hosts: 0, server: 1, login: 2, keys: 3, review: 4 } as const;

export function AgentWizard({
  opened,
  server,
  onClose,
  onStarted,
}: {
  opened: boolean;
  /** A connection to prefill as the server agents enrol with (a deployment just made). */
  server?: string;
  onClose: () => void;
  onStarted: (runId: string) => void;
}) {
  return (
    <Modal opened={opened} onClose={onClose} size="xl" title="Push agents" closeOnClickOutside={false}>
      {opened ? <WizardBody server={server} onClose={onClose} onStarted={onStarted} /> : null}
    </Modal>
  );
}

function WizardBody({
  server,
  onClose,
  onStarted,
}: {
  server: string | undefined;
  onClose: () => void;
  onStarted: (id: string) => void;
}) {
  const api = useApi();
  const [form, setForm] = useState<AgentForm>(() => ({ ...defaultAgentForm(), server: server ?? '' }));
  const [step, setStep] = useState<number>(STEP.hosts);
  const [review, setReview] = useState<PushReview>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const update = useCallback((change: (f: AgentForm) => AgentForm) => setForm(change), []);
  const hosts = useMemo(() => hostsOf(form), [form]);

  const problems = useMemo(() => {
    if (step === STEP.hosts)
      return [
        ...(hosts.hosts.length ? [] : ['List at least one host.']),
        ...hosts.problems.map((p) => `Line ${p.line}: ${p.message}`),
      ];
    const here = step === STEP.server ? 'server' : step === STEP.login ? 'login' : null;
    return formProblems(form, hosts.hosts)
      .filter((p) => p.step === here)
      .map((p) => p.message);
  }, [step, form, hosts]);

  const makeReview = () => {
    setBusy(true);
    setError(undefined);
    api
      .call('agents:review', requestOf(form, hosts.hosts))
      .then((r) => {
        setReview(r);
        setStep(STEP.review);
      })
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };
  const start = () => {
    setBusy(true);
    setError(undefined);
    api
      .call('agents:start', requestOf(form, hosts.hosts))
      .then(({ id }) => onStarted(id))
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };
  const next = () => {
    setError(undefined);
    if (step === STEP.hosts && hosts.fromCsv) {
      const from = hosts.fromCsv;
      update((f) => ({
        ...f,
        ...(from.channel ? { channel: from.channel } : {}),
        ...(from.labels ? { labels: from.labels.join(', ') } : {}),
        ...(from.user
          ? { ssh: { ...f.ssh, username: from.user }, winrm: { ...f.winrm, user: from.user } }
          : {}),
      }));
    }
    if (step === STEP.keys) makeReview();
    else setStep((s) => s + 1);
  };
  const back = () => {
    setError(undefined);
    setStep((s) => s - 1);
  };

  return (
    <Stack data-testid="agent-wizard" data-step={step}>
      <Stepper active={step} size="sm" allowNextStepsSelect={false}>
        <Stepper.Step label="Hosts">
          <HostsStep form={form} update={update} count={hosts.hosts.length} />
        </Stepper.Step>
        <Stepper.Step label="Server">
          <ServerStep form={form} update={update} />
        </Stepper.Step>
        <Stepper.Step label="Login">
          {form.channel === 'ssh' ? (
            <SshLogin form={form} update={update} />
          ) : (
            <WinRmLogin form={form} update={update} />
          )}
        </Stepper.Step>
        <Stepper.Step label={form.channel === 'ssh' ? 'Host keys' : 'Certificates'}>
          {form.channel === 'ssh' ? (
            <HostKeysStep hosts={keyedHosts(form, hosts.hosts)} />
          ) : (
            <WinRmCertsStep
              hosts={hosts.hosts.map((h) => ({
                host: h.host,
                port: h.port ?? (form.winrm.tls === 'http' ? 5985 : 5986),
              }))}
              tls={form.winrm.tls}
              caPem={form.winrm.caPem}
            />
          )}
        </Stepper.Step>
        <Stepper.Step label="Review">{review ? <Review review={review} /> : null}</Stepper.Step>
      </Stepper>

      {problems.length ? (
        <Alert color="yellow" data-testid="agents-problems">
          <List size="sm">
            {problems.slice(0, 12).map((p) => (
              <List.Item key={p}>{p}</List.Item>
            ))}
          </List>
        </Alert>
      ) : null}
      {error ? (
        <Alert color="red" data-testid="agents-error">
          {error}
        </Alert>
      ) : null}
      <Group justify="space-between">
        <Button variant="default" onClick={onClose}>
          Cancel
        </Button>
        <Group>
          {step > STEP.hosts ? (
            <Button variant="default" onClick={back} data-testid="agents-back">
              Back
            </Button>
          ) : null}
          {step === STEP.review ? (
            <Button onClick={start} loading={busy} data-testid="agents-start">
              Start the push
            </Button>
          ) : (
            <Button onClick={next} loading={busy} disabled={problems.length > 0} data-testid="agents-next">
              Next
            </Button>
          )}
        </Group>
      </Group>
    </Stack>
  );
}

type StepProps = { form: AgentForm; update: (c: (f: AgentForm) => AgentForm) => void };

function HostsStep({ form, update, count }: StepProps & { count: number }) {
  const header = useMemo(() => csvHeader(form.csv), [form.csv]);
  const columns = [
    { value: '-1', label: '(none)' },
    ...header.columns.map((c, i) => ({ value: String(i), label: c || `column ${i + 1}` })),
  ];
  const setMapping = (k: keyof CsvMapping, v: string | null) =>
    update((f) => ({ ...f, mapping: { ...f.mapping, [k]: Number(v ?? -1) } }));
  return (
    <Stack>
      <SegmentedControl
        value={form.source}
        onChange={(v) => update((f) => ({ ...f, source: v }))}
        data={[
          { value: 'paste', label: 'Paste a list' },
          { value: 'csv', label: 'A CSV' },
          { value: 'range', label: 'A range' },
        ]}
        data-testid="agents-source"
      />
      {form.source === 'paste' ? (
        <Textarea
          label="Hosts"
          description="host, host:port or [v6]:port; one per line or separated by commas or spaces; # comments"
          autosize
          minRows={5}
          maxRows={14}
          value={form.paste}
          onChange={(e) => {
            const v = e.currentTarget.value;
            update((f) => ({ ...f, paste: v }));
          }}
          data-testid="agents-paste"
        />
      ) : null}
      {form.source === 'range' ? (
        <TextInput
          label="Range"
          description="10.0.0.0/28, 10.0.0.1-40, 10.0.0.1-10.0.0.40 or web[01-20].lab (at most 4096 hosts)"
          value={form.range}
          onChange={(e) => {
            const v = e.currentTarget.value;
            update((f) => ({ ...f, range: v }));
          }}
          data-testid="agents-range"
        />
      ) : null}
      {form.source === 'csv' ? (
        <Stack gap="xs">
          <Textarea
            label="CSV (with a header)"
            autosize
            minRows={5}
            maxRows={14}
            value={form.csv}
            onChange={(e) => {
              const v = e.currentTarget.value;
              update((f) => ({ ...f, csv: v, mapping: csvHeader(v).guess }));
            }}
            data-testid="agents-csv"
          />
          {header.columns.length ? (
            <Group grow>
              {(['host', 'port', 'os', 'user', 'labels'] as const).map((k) => (
                <Select
                  key={k}
                  label={k === 'os' ? 'OS / method' : k}
                  data={columns}
                  value={String(form.mapping[k])}
                  onChange={(v) => setMapping(k, v)}
                  allowDeselect={false}
                  data-testid={`agents-map-${k}`}
                />
              ))}
            </Group>
          ) : null}
        </Stack>
      ) : null}
      <Text size="sm" data-testid="agents-host-count">
        {count} host{count === 1 ? '' : 's'}
      </Text>
    </Stack>
  );
}

function ServerStep({ form, update }: StepProps) {
  const connections = useCall('connections:list', {});
  const names = connections.value?.connections.map((c) => c.name) ?? [];
  return (
    <Stack>
      <TextInput
        label="Name of the push"
        value={form.name}
        onChange={(e) => {
          const v = e.currentTarget.value;
          update((f) => ({ ...f, name: v }));
        }}
        data-testid="agents-name"
      />
      <PushModeChoice form={form} update={update} />
      <Select
        label="Server agents enrol with"
        description="A connected server: the agents' config (server URLs, CA, nonce) comes from it"
        data={names}
        value={form.server || null}
        onChange={(v) => update((f) => ({ ...f, server: v ?? '' }))}
        placeholder={connections.loading ? 'Loading…' : names.length ? 'Choose' : 'No server connected'}
        data-testid="agents-server"
      />
      <TextInput
        label="Frontends agents dial (optional)"
        description="HOST:PORT, comma-separated; empty: the server's own Client.server_urls"
        value={form.frontends}
        onChange={(e) => {
          const v = e.currentTarget.value;
          update((f) => ({ ...f, frontends: v }));
        }}
        data-testid="agents-frontends"
      />
      <TextInput
        label="Labels applied at enrolment"
        description="Comma-separated, e.g. Incident-17, finance"
        value={form.labels}
        onChange={(e) => {
          const v = e.currentTarget.value;
          update((f) => ({ ...f, labels: v }));
        }}
        data-testid="agents-labels"
      />
      <SegmentedControl
        value={form.channel}
        onChange={(v) => update((f) => ({ ...f, channel: v === 'winrm' ? 'winrm' : 'ssh' }))}
        data={[
          { value: 'ssh', label: 'SSH (Linux, macOS)' },
          { value: 'winrm', label: 'WinRM (Windows)' },
        ]}
        data-testid="agents-channel"
      />
      <Group grow>
        <NumberInput
          label="Hosts at once"
          min={1}
          max={64}
          value={form.concurrency}
          onChange={(v) => update((f) => ({ ...f, concurrency: Math.max(1, Math.min(64, Number(v) || 1)) }))}
          data-testid="agents-concurrency"
        />
        <NumberInput
          label="Retries (unreachable hosts only)"
          min={0}
          max={10}
          value={form.retries}
          onChange={(v) => update((f) => ({ ...f, retries: Math.max(0, Math.min(10, Number(v) || 0)) }))}
          data-testid="agents-retries"
        />
      </Group>
    </Stack>
  );
}

function SshLogin({ form, update }: StepProps) {
  const s = form.ssh;
  const set = (c: Partial<AgentForm['ssh']>) => update((f) => ({ ...f, ssh: { ...f.ssh, ...c } }));
  return (
    <Stack>
      <TextInput
        label="Login"
        value={s.username}
        onChange={(e) => set({ username: e.currentTarget.value })}
        data-testid="agents-ssh-user"
      />
      <SegmentedControl
        value={s.auth}
        onChange={(v) => set({ auth: v })}
        data={[
          { value: 'key', label: 'A private key file' },
          { value: 'agent', label: 'Keys in ssh-agent' },
          { value: 'password', label: 'A password (keychain)' },
        ]}
        data-testid="agents-ssh-auth"
      />
      {s.auth === 'key' ? (
        <>
          <TextInput
            label="Private key file (on this machine)"
            placeholder="~/.ssh/id_ed25519"
            value={s.keyPath}
            onChange={(e) => set({ keyPath: e.currentTarget.value })}
            data-testid="agents-ssh-key"
          />
          <SecretPicker
            label="Its passphrase (optional)"
            kind="passphrase"
            value={s.passphraseRef}
            onChange={(id) => set({ passphraseRef: id })}
            testId="agents-ssh-passphrase"
          />
        </>
      ) : null}
      {s.auth === 'password' ? (
        <SecretPicker
          label="Login password"
          kind="password"
          value={s.passwordRef}
          onChange={(id) => set({ passwordRef: id })}
          testId="agents-ssh-password"
        />
      ) : null}
      <JumpHostsField value={s.jumps} onChange={(jumps) => set({ jumps })} />
      <SegmentedControl
        value={s.sudo}
        onChange={(v) => set({ sudo: v })}
        data={[
          { value: 'password', label: 'sudo with a password' },
          { value: 'nopasswd', label: 'sudo without a password' },
          { value: 'none', label: 'The login is root' },
        ]}
        data-testid="agents-ssh-sudo"
      />
      {s.sudo === 'password' && s.auth !== 'password' ? (
        <SecretPicker
          label="sudo password"
          kind="password"
          value={s.sudoPasswordRef}
          onChange={(id) => set({ sudoPasswordRef: id })}
          testId="agents-sudo-password"
        />
      ) : null}
      <SegmentedControl
        value={s.binary}
        onChange={(v) => set({ binary: v === 'file' ? 'file' : 'release' })}
        data={[
          { value: 'release', label: 'A verified release' },
          { value: 'file', label: 'A binary I have (Linux amd64)' },
        ]}
        data-testid="agents-ssh-binary"
      />
      {s.binary === 'release' ? (
        <TextInput label="Release" value={s.tag} onChange={(e) => set({ tag: e.currentTarget.value })} />
      ) : (
        <TextInput
          label="Binary file (on this machine)"
          value={s.binaryPath}
          onChange={(e) => set({ binaryPath: e.currentTarget.value })}
          data-testid="agents-ssh-binary-path"
        />
      )}
      <Text size="xs" c="dimmed">
        Passwords and passphrases stay in the keychain; the push reads them when it logs in or runs sudo. A
        release is fetched once for the whole push and its signature checked.
      </Text>
    </Stack>
  );
}

function WinRmLogin({ form, update }: StepProps) {
  const w = form.winrm;
  const set = (c: Partial<AgentForm['winrm']>) => update((f) => ({ ...f, winrm: { ...f.winrm, ...c } }));
  return (
    <Stack>
      <Group grow>
        <TextInput
          label="User"
          value={w.user}
          onChange={(e) => set({ user: e.currentTarget.value })}
          data-testid="agents-winrm-user"
        />
        <TextInput
          label="Domain ('' or '.' for a local account)"
          value={w.domain}
          onChange={(e) => set({ domain: e.currentTarget.value })}
        />
      </Group>
      <SegmentedControl
        value={w.auth}
        onChange={(v) => set({ auth: v === 'basic' ? 'basic' : 'ntlm' })}
        data={[
          { value: 'ntlm', label: 'NTLMv2' },
          { value: 'basic', label: 'Basic (local accounts)' },
        ]}
      />
      <SecretPicker
        label="Password"
        kind="password"
        value={w.passwordRef}
        onChange={(id) => set({ passwordRef: id })}
        testId="agents-winrm-password"
      />
      <Text size="xs" c="dimmed">
        Kerberos is not supported: use NTLMv2 or Basic. WinRM runs over HTTPS (5986) unless you choose the
        plain HTTP listener (5985), where NTLMv2 seals every message and Basic is refused.
      </Text>
      <SegmentedControl
        value={w.tls}
        onChange={(v) => set({ tls: v })}
        data={[
          { value: 'pinned', label: 'Confirm and pin each' },
          { value: 'ca', label: 'A CA I give' },
          { value: 'unchecked', label: 'Do not check (warned)' },
          { value: 'http', label: 'Plain HTTP, NTLM sealing (warned)' },
        ]}
        data-testid="agents-winrm-tls"
      />
      {w.tls === 'pinned' ? (
        <Text size="xs" c="dimmed">
          The next step shows each listener&apos;s certificate to compare and confirm once; it is then pinned,
          and a changed certificate is refused.
        </Text>
      ) : null}
      {w.tls === 'ca' ? (
        <Textarea
          label="CA certificate (PEM)"
          autosize
          minRows={3}
          value={w.caPem}
          onChange={(e) => set({ caPem: e.currentTarget.value })}
        />
      ) : null}
      {w.tls === 'unchecked' ? (
        <Switch
          color="red"
          label="I understand: anyone on the path can read the login and change what the hosts run"
          checked={w.uncheckedAcknowledged}
          onChange={(e) => set({ uncheckedAcknowledged: e.currentTarget.checked })}
        />
      ) : null}
      {w.tls === 'http' ? (
        <Switch
          color="red"
          label={`I understand: ${WINRM_HTTP_WARNING}`}
          checked={w.httpAcknowledged}
          onChange={(e) => set({ httpAcknowledged: e.currentTarget.checked })}
          data-testid="agents-winrm-http-ack"
        />
      ) : null}
      <SegmentedControl
        value={w.msi}
        onChange={(v) => set({ msi: v === 'file' ? 'file' : 'release' })}
        data={[
          { value: 'release', label: 'The release MSI' },
          { value: 'file', label: 'An MSI I have' },
        ]}
      />
      {form.mode !== 'uninstall' ? (
        <Group grow align="flex-start">
          <TextInput
            label="This machine, as the Windows hosts reach it"
            description="Name or address: each host downloads the MSI and its config from a server of this run here (HTTPS, its certificate pinned, sha256 checked)."
            value={w.serveHost}
            onChange={(e) => set({ serveHost: e.currentTarget.value })}
            data-testid="agents-winrm-serve-host"
          />
          <TextInput
            label="Download port"
            description="Empty: any free port. Open it in this machine's firewall for the hosts."
            value={w.servePort}
            onChange={(e) => set({ servePort: e.currentTarget.value })}
            data-testid="agents-winrm-serve-port"
          />
        </Group>
      ) : null}
      {w.msi === 'file' ? (
        <TextInput
          label="MSI file"
          value={w.msiPath}
          onChange={(e) => set({ msiPath: e.currentTarget.value })}
        />
      ) : (
        <TextInput label="Release" value={w.tag} onChange={(e) => set({ tag: e.currentTarget.value })} />
      )}
    </Stack>
  );
}

const KEY_COLOR: Record<HostKeyScan['status'], string> = {
  known: 'green',
  unknown: 'yellow',
  changed: 'red',
  unreachable: 'gray',
};

function HostKeysStep({ hosts }: { hosts: Array<{ host: string; port: number }> }) {
  const api = useApi();
  return (
    <ConfirmIdentitiesStep<HostKeyScan>
      ids={{ step: 'hostkeys', row: 'hostkey' }}
      intro="Each host's key is checked against known_hosts (the app's and yours). A key never seen is shown here to compare and confirm once, then remembered; a key that changed is refused and the host is not touched. Hosts you do not confirm fail with that reason."
      labels={{
        scan: 'Check host keys',
        pickAll: (n) => `Select all new keys (${n})`,
        trust: 'Trust the selected keys',
        column: 'Key',
      }}
      newStatus="unknown"
      colors={KEY_COLOR}
      scan={() => api.call('agents:scan-host-keys', { hosts }).then((r) => r.keys)}
      trust={(keys) => api.call('agents:trust-host-keys', { keys })}
      identity={(k) => (
        <Code>
          {k.keyType} {k.fingerprint}
        </Code>
      )}
    />
  );
}

function Review({ review }: { review: PushReview }) {
  return (
    <Stack data-testid="agents-review">
      <Text>
        <b>{review.name}</b>: {review.hosts.length} host{review.hosts.length === 1 ? '' : 's'} over{' '}
        {review.channel === 'ssh' ? 'SSH' : 'WinRM'}, {review.concurrency} at once, {review.retries} retr
        {review.retries === 1 ? 'y' : 'ies'} for unreachable hosts.
      </Text>
      {review.config ? (
        <Stack gap={2} data-testid="agents-review-config">
          <Text size="sm">
            Agents dial <Code>{review.config.serverUrls.join(', ')}</Code>
          </Text>
          <Text size="sm">
            and pin the server&apos;s CA <Code>{review.config.caFingerprint}</Code>
          </Text>
          {review.config.labels.length ? (
            <Text size="sm">Labels at enrolment: {review.config.labels.join(', ')}</Text>
          ) : null}
        </Stack>
      ) : null}
      <List size="sm" data-testid="agents-review-installs">
        {review.installs.map((i) => (
          <List.Item key={i.os}>
            <b>{i.os}</b>: {i.what}
          </List.Item>
        ))}
      </List>
      {review.warnings.length ? (
        <Alert color="yellow" data-testid="agents-review-warnings">
          <List size="sm">
            {review.warnings.map((w) => (
              <List.Item key={w}>{w}</List.Item>
            ))}
          </List>
        </Alert>
      ) : null}
      <Table striped withTableBorder data-testid="agents-review-hosts">
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Host</Table.Th>
            <Table.Th>OS</Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {review.hosts.slice(0, 200).map((h) => (
            <Table.Tr key={h.key}>
              <Table.Td>{h.key}</Table.Td>
              <Table.Td>{h.os === 'auto' ? 'detected' : h.os}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
      {review.hosts.length > 200 ? (
        <Text size="xs" c="dimmed">
          …and {review.hosts.length - 200} more.
        </Text>
      ) : null}
    </Stack>
  );
}
