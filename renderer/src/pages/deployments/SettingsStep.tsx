/**
 * The wizard's settings step: name and administrator, where the Velociraptor binary comes from, and
 * the target's own choices — each with its safe default and why (wizard-form.ts holds the defaults).
 */
import {
  Alert,
  Checkbox,
  Divider,
  Group,
  NumberInput,
  SegmentedControl,
  Stack,
  Switch,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import type { ChangeEvent, ReactNode } from 'react';
import { MAX_MINIONS } from '../../../../shared/deploy';
import { isCloud, isLoopback, type PortChoice, type WizardForm } from './wizard-form';

type Update = (change: (f: WizardForm) => WizardForm) => void;

const port = (v: string | number) => (typeof v === 'number' ? v : Number(v) || 0);

type Section = 'binary' | 'docker' | 'ssh' | 'lab' | 'cloud' | 'aws' | 'azure';
type KeysOf<T, V> = { [K in keyof T]: T[K] extends V ? K : never }[keyof T] & string;

/**
 * One section of the form: its values, `set` to change some of them, and the value/onChange props
 * that tie a text input (`text`) or a switch/checkbox (`flag`) to one of its fields.
 */
function sectionOf<S extends Section>(form: WizardForm, update: Update, section: S) {
  type Values = WizardForm[S];
  const values = form[section];
  const set = (change: Partial<Values>) => update((f) => ({ ...f, [section]: { ...f[section], ...change } }));
  const text = (key: KeysOf<Values, string>) => ({
    value: values[key] as string,
    onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement>) =>
      set({ [key]: e.currentTarget.value } as Partial<Values>),
  });
  const flag = (key: KeysOf<Values, boolean>) => ({
    checked: values[key] as boolean,
    onChange: (e: ChangeEvent<HTMLInputElement>) =>
      set({ [key]: e.currentTarget.checked } as Partial<Values>),
  });
  return { values, set, text, flag };
}

function Why({ children }: { children: ReactNode }) {
  return (
    <Text size="xs" c="dimmed">
      {children}
    </Text>
  );
}

function PortRow({
  label,
  value,
  onChange,
  testId,
}: {
  label: string;
  value: PortChoice;
  onChange: (p: PortChoice) => void;
  testId: string;
}) {
  return (
    <Group grow align="flex-start">
      <TextInput
        label={`${label} bind address`}
        value={value.bindAddress}
        onChange={(e) => onChange({ ...value, bindAddress: e.currentTarget.value })}
        data-testid={`${testId}-bind`}
      />
      <NumberInput
        label={`${label} port`}
        min={1}
        max={65535}
        value={value.port}
        onChange={(v) => onChange({ ...value, port: port(v) })}
        data-testid={`${testId}-port`}
      />
    </Group>
  );
}

function BinarySettings({ form, update }: { form: WizardForm; update: Update }) {
  const { values: b, set, text } = sectionOf(form, update, 'binary');
  if (isCloud(form.target))
    return (
      <Stack gap={4}>
        <TextInput label="Release tag" {...text('tag')} data-testid="settings-release-tag" />
        <Why>
          The app verifies the release&apos;s signature here; the VM downloads the same file and refuses it
          unless its SHA-256 is the one the app computed.
        </Why>
      </Stack>
    );
  if (form.target === 'docker' && form.docker.image === 'official')
    return (
      <TextInput
        label="Release tag of upstream's image"
        {...text('tag')}
        data-testid="settings-release-tag"
      />
    );
  return (
    <Stack gap="xs">
      <Text size="sm" fw={500}>
        Velociraptor binary
      </Text>
      <SegmentedControl
        value={b.source}
        onChange={(v) => set({ source: v === 'file' ? 'file' : 'release' })}
        data={[
          { value: 'release', label: 'Verified release' },
          { value: 'file', label: 'A binary I have' },
        ]}
        data-testid="settings-binary-source"
      />
      {b.source === 'release' ? (
        <>
          <TextInput label="Release tag" {...text('tag')} data-testid="settings-release-tag" />
          <Why>
            Downloaded once from the configured release source (GitHub, or a mirror for isolated networks),
            the asset picked for the target&apos;s OS and architecture, and its signature checked against
            Velocidex&apos;s key before it is used.
          </Why>
        </>
      ) : (
        <>
          <TextInput
            label="Path of the binary on this machine"
            placeholder="/opt/velociraptor/velociraptor-v0.77.2-linux-amd64"
            {...text('path')}
            data-testid="settings-binary-path"
          />
          <TextInput
            label="Its detached signature (.sig), if you have it"
            {...text('signaturePath')}
            data-testid="settings-binary-signature"
          />
          <Why>
            Its sha256 is shown in the review; without a valid signature it is used with a warning, because
            nothing proves where it came from.
          </Why>
        </>
      )}
    </Stack>
  );
}

function DockerSettings({ form, update }: { form: WizardForm; update: Update }) {
  const { values: d, set, text, flag } = sectionOf(form, update, 'docker');
  const engine = d.engine.kind === 'socket' ? d.engine.path : `tcp://${d.engine.host}:${d.engine.port}`;
  const exposed = !isLoopback(d.gui.bindAddress) || !isLoopback(d.api.bindAddress);
  return (
    <Stack gap="xs">
      <Text size="sm">
        Docker engine: <code>{engine}</code>
      </Text>
      <Why>From DOCKER_HOST, else the local socket. The engine must run Linux containers.</Why>
      <SegmentedControl
        value={d.image}
        onChange={(v) => set({ image: v === 'official' ? 'official' : 'local' })}
        data={[
          { value: 'local', label: 'Image built here from the verified binary' },
          { value: 'official', label: "Upstream's image, pinned to the tag" },
        ]}
      />
      <Why>
        The local image needs no registry and holds exactly the verified binary; upstream&apos;s image is
        unsigned and amd64 only, pinned to the release tag (never :latest, which is built from master).
      </Why>
      {d.image === 'local' ? (
        <>
          <Textarea
            label="Extra files for the image (optional)"
            description="One a line: /path/in/image=/file/on/this/machine[:mode]"
            placeholder="/usr/local/bin/tool=/home/me/tools/tool:0755"
            autosize
            minRows={1}
            maxRows={8}
            {...text('extraFiles')}
            data-testid="settings-extra-files"
          />
          <Why>
            For tools the server needs on an isolated network; they go into the image built here, next to the
            binary.
          </Why>
        </>
      ) : null}
      <SegmentedControl
        value={d.network}
        onChange={(v) => set({ network: v === 'host' ? 'host' : 'bridge' })}
        data={[
          { value: 'bridge', label: 'Published ports' },
          { value: 'host', label: "Engine's host network" },
        ]}
        data-testid="settings-docker-network"
      />
      <Why>
        Published ports keep the server in its own network and publish only the three ports. The engine&apos;s
        host network is for engines without a bridge: the server listens on the engine&apos;s host at the
        addresses and ports below, so they must be free there.
      </Why>
      <TextInput
        label="Name agents use to reach the server"
        {...text('frontendHostname')}
        data-testid="settings-frontend-hostname"
      />
      <PortRow
        label="Frontend"
        value={d.frontend}
        onChange={(p) => set({ frontend: p })}
        testId="settings-frontend"
      />
      <Why>
        The frontend is the one port agents must reach: 127.0.0.1 keeps it to this machine; choose this
        machine&apos;s address (or 0.0.0.0) when agents on other machines will enrol.
      </Why>
      <PortRow label="GUI" value={d.gui} onChange={(p) => set({ gui: p })} testId="settings-gui" />
      <PortRow label="API" value={d.api} onChange={(p) => set({ api: p })} testId="settings-api" />
      <Why>
        The GUI and the API give full control of the server: on 127.0.0.1 only this machine reaches them (the
        app connects there).
      </Why>
      {form.profile === 'enterprise' ? (
        <>
          <NumberInput
            label="Minions"
            min={0}
            max={MAX_MINIONS}
            value={d.minions}
            onChange={(v) => set({ minions: typeof v === 'number' ? v : Number(v) || 0 })}
            data-testid="settings-minions"
          />
          <Why>
            Velociraptor&apos;s multi-frontend: each minion is a container of its own serving agents on the
            next free port after the frontend, sharing the master&apos;s data volume; agents get every
            frontend in their server list. 0 runs one server. More can be added later (scale out).
          </Why>
        </>
      ) : null}
      {exposed ? (
        <Alert color="orange">
          <Checkbox
            label="I mean it: make the GUI or API reachable from the network (restrict it with a firewall or a VPN)"
            {...flag('exposeAdminPorts')}
            data-testid="settings-expose-confirm"
          />
        </Alert>
      ) : null}
    </Stack>
  );
}

function SshSettings({ form, update }: { form: WizardForm; update: Update }) {
  const { values: s, set, text, flag } = sectionOf(form, update, 'ssh');
  return (
    <Stack gap="xs">
      <Group grow align="flex-start">
        <TextInput
          label="Host"
          placeholder="ir-server.example.org"
          {...text('host')}
          data-testid="settings-ssh-host"
        />
        <NumberInput
          label="SSH port"
          min={1}
          max={65535}
          value={s.port}
          onChange={(v) => set({ port: port(v) })}
        />
        <TextInput label="Login" {...text('username')} data-testid="settings-ssh-user" />
      </Group>
      <SegmentedControl
        value={s.auth}
        onChange={(v) => set({ auth: v === 'key' ? 'key' : 'agent' })}
        data={[
          { value: 'agent', label: 'Keys in ssh-agent' },
          { value: 'key', label: 'A private key file' },
        ]}
      />
      {s.auth === 'key' ? (
        <TextInput
          label="Private key file"
          placeholder="~/.ssh/id_ed25519"
          {...text('keyPath')}
          data-testid="settings-ssh-key"
        />
      ) : null}
      <Why>
        The host key is checked against known_hosts (or confirmed once and remembered); no password is stored
        in the plan.
      </Why>
      <Switch label="Become root with sudo (needed unless the login is root)" {...flag('sudo')} />
      <TextInput
        label="Name agents use to reach the server"
        placeholder={s.host || 'the host'}
        {...text('frontendHostname')}
      />
      <PortRow
        label="Frontend"
        value={s.frontend}
        onChange={(p) => set({ frontend: p })}
        testId="settings-frontend"
      />
      <Why>
        Agents connect to the frontend, so it listens on every address of the host by default. The GUI (8889)
        and API (8001) stay on the host&apos;s 127.0.0.1; the app reaches them through an SSH tunnel.
      </Why>
      <Switch label="Expose the GUI on the network" {...flag('exposeGui')} />
      <Switch label="Expose the API on the network" {...flag('exposeApi')} />
    </Stack>
  );
}

function LabSettings({ form, update }: { form: WizardForm; update: Update }) {
  const { values: l, flag } = sectionOf(form, update, 'lab');
  const setPort = (which: keyof WizardForm['lab']['ports'], v: string | number) =>
    update((f) => ({ ...f, lab: { ...f.lab, ports: { ...f.lab.ports, [which]: port(v) } } }));
  return (
    <Stack gap="xs">
      <Group grow>
        {(['frontend', 'api', 'gui'] as const).map((w) => (
          <NumberInput
            key={w}
            label={`${w === 'gui' ? 'GUI' : w === 'api' ? 'API' : 'Frontend'} port`}
            placeholder="automatic"
            min={0}
            max={65535}
            value={l.ports[w] || ''}
            onChange={(v) => setPort(w, v)}
          />
        ))}
      </Group>
      <Why>
        Everything listens on 127.0.0.1 only. Empty: Velociraptor&apos;s default port when it is free, else a
        free one.
      </Why>
      <Switch label="Enrol a client of this machine" {...flag('client')} />
    </Stack>
  );
}

function CloudAccessSettings({ form, update }: { form: WizardForm; update: Update }) {
  const { text } = sectionOf(form, update, 'cloud');
  return (
    <Stack gap="xs">
      <TextInput
        label="Your address (the GUI and API are open to it only)"
        placeholder="203.0.113.7"
        {...text('responderCidrs')}
        data-testid="settings-responder-cidrs"
      />
      <Why>
        Your public address as the internet sees it (a single address becomes a /32), or your VPN&apos;s
        range. Nothing else reaches the GUI and API; the whole internet is refused.
      </Why>
      <TextInput
        label="Where agents connect from"
        placeholder="198.51.100.0/24, 2001:db8:1::/48"
        {...text('agentCidrs')}
        data-testid="settings-agent-cidrs"
      />
      <Why>
        The frontend port (8000) is open to these ranges only: your networks&apos; public ranges, or 0.0.0.0/0
        when agents can be anywhere (the review then warns).
      </Why>
    </Stack>
  );
}

function AwsSettings({ form, update }: { form: WizardForm; update: Update }) {
  const { values: a, set, text } = sectionOf(form, update, 'aws');
  return (
    <Stack gap="xs">
      <Group grow align="flex-start">
        <TextInput label="Region" {...text('region')} data-testid="settings-aws-region" />
        <TextInput
          label="Instance type"
          placeholder="the profile's (rapid: t3.medium)"
          {...text('instanceType')}
          data-testid="settings-aws-instance-type"
        />
      </Group>
      <SegmentedControl
        value={a.credentials}
        onChange={(v) => set({ credentials: v === 'profile' ? 'profile' : 'chain' })}
        data={[
          { value: 'chain', label: 'Credentials as the AWS CLI finds them' },
          { value: 'profile', label: 'A named profile' },
        ]}
        data-testid="settings-aws-credentials"
      />
      {a.credentials === 'profile' ? (
        <TextInput
          label="Profile (from ~/.aws/config)"
          {...text('profile')}
          data-testid="settings-aws-profile"
        />
      ) : null}
      <Why>
        The app keeps no AWS key of its own. The review shows the account these credentials belong to (STS)
        before anything is made.
      </Why>
    </Stack>
  );
}

function AzureSettings({ form, update }: { form: WizardForm; update: Update }) {
  const { text } = sectionOf(form, update, 'azure');
  return (
    <Stack gap="xs">
      <TextInput
        label="Subscription id"
        placeholder="00000000-0000-0000-0000-000000000000"
        {...text('subscriptionId')}
        data-testid="settings-azure-subscription"
      />
      <Group grow align="flex-start">
        <TextInput label="Location" {...text('location')} data-testid="settings-azure-location" />
        <TextInput
          label="VM size"
          placeholder="the profile's (rapid: Standard_B2s)"
          {...text('vmSize')}
          data-testid="settings-azure-vm-size"
        />
      </Group>
      <Why>
        Signed in as the Azure CLI is (az login) or the environment says. The review shows who that is and the
        subscription before anything is made.
      </Why>
    </Stack>
  );
}

export function SettingsStep({ form, update }: { form: WizardForm; update: Update }) {
  return (
    <Stack gap="sm" data-testid="wizard-settings">
      <Group grow align="flex-start">
        <TextInput
          label="Name"
          description="Also the name of the connection the app adds"
          placeholder="incident-2026-12"
          value={form.name}
          onChange={(e) => {
            const name = e.currentTarget.value;
            update((f) => ({ ...f, name }));
          }}
          data-testid="settings-name"
        />
        <TextInput
          label="GUI administrator"
          description="Its password is generated and kept in the keychain"
          value={form.adminUser}
          onChange={(e) => {
            const adminUser = e.currentTarget.value;
            update((f) => ({ ...f, adminUser }));
          }}
        />
      </Group>
      <BinarySettings form={form} update={update} />
      <Divider />
      {form.target === 'docker' ? <DockerSettings form={form} update={update} /> : null}
      {form.target === 'ssh' ? <SshSettings form={form} update={update} /> : null}
      {form.target === 'lab' ? <LabSettings form={form} update={update} /> : null}
      {form.target === 'aws' ? <AwsSettings form={form} update={update} /> : null}
      {form.target === 'azure' ? <AzureSettings form={form} update={update} /> : null}
      {isCloud(form.target) ? <CloudAccessSettings form={form} update={update} /> : null}
    </Stack>
  );
}
