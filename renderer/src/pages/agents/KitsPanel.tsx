/**
 * Kits: installers built and saved for hosts a push cannot reach — the Ansible kit (role, inventory,
 * the verified Linux binary and the server's agent config, as a .tar.gz) and the offline collector
 * the server builds (Server.Utils.CreateCollector: OS, artifacts, encryption; every tool it needs
 * preloaded into the server's inventory first and shown with its source and hash, nothing downloaded
 * on the target). Saved in the data folder's exports; in browser mode also handed to the browser as a
 * download. The collector's artifact parameters are rows (artifact, name, value), checked by the
 * CLI's rules (shared/collector-params.ts). Installers (MSI, deb, rpm) and the GPO kit: InstallersCard.
 * And the way back: a returned collection sent from the window and imported (ImportCollection.tsx).
 * Test ids: `kit-ansible-*`, `kit-collector-*` (`kit-collector-param*`), `kit-installer-*`, `kit-gpo-*`,
 * `kit-import-*`, `kit-saved`.
 */
import {
  ActionIcon,
  Alert,
  Button,
  Card,
  Code,
  Group,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from '@mantine/core';
import { IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import { parseHostList } from '../../../../shared/agent-hosts';
import { paramsFromRows, type ParamRow } from '../../../../shared/collector-params';
import type { OutputOf } from '../../../../shared/contract';
import type { Contract } from '../../../../shared/contracts/index';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { handToBrowser } from '../../api/save-file';
import { useCall } from '../../api/use-call';
import { useAppInfo } from '../../app/app-info-context';
import { ImportCollectionCard } from './ImportCollection';
import { InstallersCard } from './InstallersCard';
import { SecretPicker } from './SecretPicker';

interface Saved {
  what: string;
  savedTo: string;
  detail: string;
}

type CollectorPlanView = OutputOf<Contract['agents:collector-plan']>;

const splitList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

const COLLECTOR_OS = ['Windows', 'Windows_x86', 'Linux', 'MacOS', 'MacOSArm', 'Generic'];

export function KitsPanel() {
  const api = useApi();
  const browserMode = useAppInfo()?.mode === 'browser';
  const connections = useCall('connections:list', {});
  const servers = connections.value?.connections.map((c) => c.name) ?? [];
  const [server, setServer] = useState<string | null>(null);
  const [saved, setSaved] = useState<Saved>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState<string>();

  const build = (what: string, go: () => Promise<{ savedTo: string; name: string; detail: string }>) => {
    setBusy(what);
    setError(undefined);
    go()
      .then(async (r) => {
        if (browserMode) await handToBrowser(api, r.savedTo, r.name);
        setSaved({ what, savedTo: r.savedTo, detail: r.detail });
      })
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(undefined));
  };

  // Ansible kit.
  const [hostsText, setHostsText] = useState('');
  const [user, setUser] = useState('');
  const [labels, setLabels] = useState('');
  const [tag, setTag] = useState('latest');
  const hosts = parseHostList(hostsText);
  // Offline collector.
  const [os, setOs] = useState<string>('Windows');
  const [artifacts, setArtifacts] = useState('Generic.Client.Info');
  const [encryption, setEncryption] = useState<string>('x509');
  const [zipPasswordRef, setZipPasswordRef] = useState('');
  const [plan, setPlan] = useState<CollectorPlanView>();
  const [paramRows, setParamRows] = useState<ParamRow[]>([]);
  const collected = splitList(artifacts);
  const params = paramsFromRows(paramRows, collected);
  const paramProblem = (index: number) => params.problems.find((p) => p.index === index)?.message;
  const setParamRow = (index: number, patch: Partial<ParamRow>) =>
    setParamRows((rows) => rows.map((r, i) => (i === index ? { ...r, ...patch } : r)));

  const target = server ? { server, org: '' } : null;
  const collectorSpec = () => ({
    os,
    artifacts: collected,
    parameters: params.parameters,
    encryption:
      encryption === 'password'
        ? { scheme: 'password', passwordRef: zipPasswordRef }
        : { scheme: encryption },
  });
  const planCollector = () => {
    setBusy('plan');
    setError(undefined);
    setPlan(undefined);
    api
      .call('agents:collector-plan', { target: target!, spec: collectorSpec() })
      .then(setPlan)
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(undefined));
  };
  return (
    <Stack>
      <Select
        maw={420}
        label="Server the agents enrol with (and that builds collectors)"
        data={servers}
        value={server}
        onChange={setServer}
        placeholder={servers.length ? 'Choose' : 'No server connected'}
        data-testid="kit-server"
      />
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder data-testid="kit-ansible">
          <Stack gap="xs">
            <Title order={5}>Ansible kit (Linux)</Title>
            <Text size="xs" c="dimmed">
              A role with inventory: the verified binary, the agent config (0600) and the velociraptor_client
              unit. Run with <Code>ansible-playbook -i inventory.ini site.yml --ask-become-pass</Code>.
            </Text>
            <Textarea
              label="Hosts"
              autosize
              minRows={3}
              value={hostsText}
              onChange={(e) => setHostsText(e.currentTarget.value)}
              error={
                hosts.problems[0] ? `Line ${hosts.problems[0].line}: ${hosts.problems[0].message}` : undefined
              }
              data-testid="kit-ansible-hosts"
            />
            <Group grow>
              <TextInput
                label="Ansible login"
                value={user}
                onChange={(e) => setUser(e.currentTarget.value)}
                data-testid="kit-ansible-user"
              />
              <TextInput label="Release" value={tag} onChange={(e) => setTag(e.currentTarget.value)} />
            </Group>
            <TextInput
              label="Labels (comma-separated)"
              value={labels}
              onChange={(e) => setLabels(e.currentTarget.value)}
            />
            <Button
              disabled={!target || !hosts.hosts.length || hosts.problems.length > 0 || !user.trim()}
              loading={busy === 'ansible'}
              onClick={() =>
                build('ansible', async () => {
                  const r = await api.call('agents:kit-ansible', {
                    target: target!,
                    hosts: hosts.hosts,
                    user: user.trim(),
                    labels: splitList(labels),
                    tag: tag.trim() || 'latest',
                  });
                  return { ...r, detail: `${r.files.length} files; binary sha256 ${r.binarySha256}` };
                })
              }
              data-testid="kit-ansible-build"
            >
              Build and save
            </Button>
          </Stack>
        </Card>
        <Card withBorder data-testid="kit-collector">
          <Stack gap="xs">
            <Title order={5}>Offline collector</Title>
            <Text size="xs" c="dimmed">
              Built by the server with the artifacts and every tool they need inside: nothing is downloaded on
              the target. X509 encrypts the results to the server&apos;s frontend certificate.
            </Text>
            <Group grow>
              <Select
                label="OS"
                data={COLLECTOR_OS}
                value={os}
                onChange={(v) => setOs(v ?? 'Windows')}
                allowDeselect={false}
              />
              <Select
                label="Encryption"
                data={[
                  { value: 'x509', label: "X509 (server's certificate)" },
                  { value: 'app-key', label: "X509 (this app's key, keychain)" },
                  { value: 'password', label: 'ZIP password (keychain)' },
                  { value: 'none', label: 'None' },
                ]}
                value={encryption}
                onChange={(v) => setEncryption(v ?? 'x509')}
                allowDeselect={false}
              />
            </Group>
            {encryption === 'password' ? (
              <SecretPicker
                label="ZIP password"
                kind="password"
                value={zipPasswordRef}
                onChange={setZipPasswordRef}
                testId="kit-collector-password"
              />
            ) : null}
            <TextInput
              label="Artifacts (comma-separated)"
              value={artifacts}
              onChange={(e) => setArtifacts(e.currentTarget.value)}
              data-testid="kit-collector-artifacts"
            />
            <Stack gap={4} data-testid="kit-collector-params">
              <Text size="sm">Artifact parameters</Text>
              {paramRows.map((row, index) => (
                <Group
                  key={index}
                  gap="xs"
                  align="flex-start"
                  wrap="nowrap"
                  data-testid="kit-collector-param"
                >
                  <Select
                    aria-label="Artifact"
                    placeholder="Artifact"
                    data={[...new Set(collected)]}
                    value={row.artifact || null}
                    onChange={(v) => setParamRow(index, { artifact: v ?? '' })}
                    style={{ flex: 2 }}
                    data-testid="kit-collector-param-artifact"
                  />
                  <TextInput
                    aria-label="Name"
                    placeholder="Name"
                    value={row.name}
                    onChange={(e) => setParamRow(index, { name: e.currentTarget.value })}
                    error={paramProblem(index)}
                    style={{ flex: 1 }}
                    data-testid="kit-collector-param-name"
                  />
                  <TextInput
                    aria-label="Value"
                    placeholder="Value"
                    value={row.value}
                    onChange={(e) => setParamRow(index, { value: e.currentTarget.value })}
                    style={{ flex: 2 }}
                    data-testid="kit-collector-param-value"
                  />
                  <ActionIcon
                    variant="subtle"
                    color="red"
                    mt={4}
                    aria-label="Remove the parameter"
                    onClick={() => setParamRows((rows) => rows.filter((_, i) => i !== index))}
                  >
                    <IconTrash size={16} />
                  </ActionIcon>
                </Group>
              ))}
              <Group>
                <Button
                  size="xs"
                  variant="subtle"
                  onClick={() =>
                    setParamRows((rows) => [...rows, { artifact: collected[0] ?? '', name: '', value: '' }])
                  }
                  data-testid="kit-collector-param-add"
                >
                  Add a parameter
                </Button>
                <Text size="xs" c="dimmed">
                  As the artifact declares them (the CLI&apos;s --param ARTIFACT.NAME=VALUE).
                </Text>
              </Group>
            </Stack>
            <Group>
              <Button
                variant="default"
                disabled={!target || !collected.length || params.problems.length > 0}
                loading={busy === 'plan'}
                onClick={planCollector}
                data-testid="kit-collector-plan"
              >
                Show the tools
              </Button>
              <Button
                disabled={
                  !target ||
                  !collected.length ||
                  params.problems.length > 0 ||
                  (encryption === 'password' && !zipPasswordRef)
                }
                loading={busy === 'collector'}
                onClick={() =>
                  build('collector', async () => {
                    const r = await api.call('agents:kit-collector', {
                      target: target!,
                      spec: collectorSpec(),
                    });
                    return {
                      ...r,
                      detail: `${r.size} bytes; sha256 ${r.sha256}; ${r.preloaded.length} tool(s) preloaded on the server`,
                    };
                  })
                }
                data-testid="kit-collector-build"
              >
                Preload, build and save
              </Button>
            </Group>
            {plan ? (
              <Table withTableBorder data-testid="kit-collector-tools">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Tool</Table.Th>
                    <Table.Th>Source</Table.Th>
                    <Table.Th>sha256</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {plan.preload.tools.map((t) => (
                    <Table.Tr key={t.name} data-source={t.source}>
                      <Table.Td>
                        {t.name}{' '}
                        <Text span size="xs" c="dimmed">
                          {t.version}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs" c={t.source === 'missing' ? 'red' : undefined}>
                          {t.source}: {t.note}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="xs" ff="monospace">
                          {t.sha256.slice(0, 16)}
                        </Text>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            ) : null}
            {plan?.preload.missing.length ? (
              <Text size="xs" c="red">
                No file for {plan.preload.missing.join(', ')}: put it into the tool cache; the build is
                refused until every tool is there (nothing is downloaded on the target).
              </Text>
            ) : null}
          </Stack>
        </Card>
        <InstallersCard target={target} browserMode={browserMode} />
        <ImportCollectionCard target={target} />
      </SimpleGrid>
      {error ? (
        <Alert color="red" data-testid="kit-error">
          {error}
        </Alert>
      ) : null}
      {saved ? (
        <Alert color="green" data-testid="kit-saved">
          Saved {saved.savedTo} — {saved.detail}
          {browserMode ? ' (and handed to the browser as a download)' : ''}
        </Alert>
      ) : null}
    </Stack>
  );
}
