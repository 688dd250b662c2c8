/**
 * Installers on the kits page: a repacked MSI, a .deb or an .rpm carrying the chosen server's agent
 * config (built in the core by Velociraptor's own `config repack --msi` / `debian client` /
 * `rpm client`, as the CLI's `agents installer` and MCP's build_installer), then a GPO kit from that
 * MSI or from one the responder sends (e.g. re-signed). What is packed: a verified release, or the
 * responder's file; an optional Velociraptor for this machine builds without fetching a release.
 * Saved like the other kits, in the data folder's exports/agent-kits (browser mode: also handed to
 * the browser). Shows each file with its size and SHA-256, and the notes the CLI prints.
 * Test ids: `kit-installer-*`, `kit-gpo-*`, `kit-file` (data-name, data-sha256).
 */
import {
  Alert,
  Button,
  Card,
  Code,
  Group,
  List,
  SegmentedControl,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { useState } from 'react';
import type { KitFile } from '../../../../shared/agent-kits';
import { formatBytes } from '../../../../shared/bytes';
import type { GpoKitBuilt, InstallerBuilt } from '../../../../shared/contracts/agents';
import type { Target } from '../../../../shared/contracts/connections';
import type { UploadKind } from '../../../../shared/contracts/uploads';
import { describeError } from '../../../../shared/errors';
import { useApi, type ApiClient } from '../../api/index';
import { handToBrowser } from '../../api/save-file';
import { streamResult } from '../../api/stream-result';
import { uploadFile } from '../../api/upload-file';
import { frontendOf } from './agent-form';

type Kind = 'msi' | 'deb' | 'rpm';

const KINDS: Array<{ value: Kind; label: string }> = [
  { value: 'msi', label: 'Windows MSI (repacked)' },
  { value: 'deb', label: 'Debian / Ubuntu .deb' },
  { value: 'rpm', label: 'RHEL / Fedora / SUSE .rpm' },
];

const splitList = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

/** "host:port, [::1]:8000" as the contract's frontends (the wizard's rule), or the first that is not one. */
function parseFrontends(
  text: string,
): { frontends: Array<{ host: string; port: number }> } | { problem: string } {
  const frontends: Array<{ host: string; port: number }> = [];
  for (const f of splitList(text)) {
    const fe = frontendOf(f);
    if (!fe) return { problem: `"${f}" is not HOST:PORT.` };
    frontends.push({ host: fe.host, port: fe.port });
  }
  return { frontends };
}

const BUILD_ENDED_EARLY = 'The build ended without a result; look at the app log.';

function FileInput(props: {
  label: string;
  accept?: string;
  file: File | null;
  onChange: (f: File | null) => void;
  testId: string;
}) {
  return (
    <Stack gap={2}>
      <Text size="sm">{props.label}</Text>
      <input
        type="file"
        {...(props.accept ? { accept: props.accept } : {})}
        onChange={(e) => props.onChange(e.currentTarget.files?.[0] ?? null)}
        data-testid={props.testId}
      />
      {props.file ? (
        <Text size="xs" c="dimmed" data-testid={`${props.testId}-chosen`}>
          {props.file.name} — {formatBytes(props.file.size)}
        </Text>
      ) : null}
    </Stack>
  );
}

export function KitFilesTable({ files, testId }: { files: KitFile[]; testId: string }) {
  return (
    <Table withTableBorder data-testid={testId}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>File</Table.Th>
          <Table.Th>Size</Table.Th>
          <Table.Th>SHA-256</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {files.map((f) => (
          <Table.Tr key={f.path} data-testid="kit-file" data-name={f.name} data-sha256={f.sha256}>
            <Table.Td>
              <Text size="xs">{f.name}</Text>
            </Table.Td>
            <Table.Td>
              <Text size="xs" title={`${f.bytes} bytes`}>
                {formatBytes(f.bytes)}
              </Text>
            </Table.Td>
            <Table.Td>
              <Text size="xs" ff="monospace" style={{ wordBreak: 'break-all' }}>
                {f.sha256}
              </Text>
            </Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

async function send(api: ApiClient, file: File, kind: UploadKind): Promise<{ upload: string }> {
  return { upload: (await uploadFile(api, file, kind)).id };
}

export function InstallersCard({ target, browserMode }: { target: Target | null; browserMode: boolean }) {
  const api = useApi();
  const [kind, setKind] = useState<Kind>('msi');
  const [source, setSource] = useState<'release' | 'file'>('release');
  const [tag, setTag] = useState('latest');
  const [arch, setArch] = useState<'amd64' | 'arm64'>('amd64');
  const [file, setFile] = useState<File | null>(null);
  const [runner, setRunner] = useState<File | null>(null);
  const [labels, setLabels] = useState('');
  const [frontendsText, setFrontendsText] = useState('');
  const [step, setStep] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [built, setBuilt] = useState<InstallerBuilt>();
  const frontends = parseFrontends(frontendsText);

  const build = async () => {
    if (!target || 'problem' in frontends) return;
    setBusy(true);
    setError(undefined);
    setBuilt(undefined);
    setStep('sending');
    try {
      const sourceInput =
        source === 'file' && file
          ? await send(api, file, kind === 'msi' ? 'msi' : 'velociraptor-binary')
          : { tag: tag.trim() || 'latest' };
      const runnerInput = runner ? await send(api, runner, 'velociraptor-binary') : undefined;
      const r = await streamResult(
        api,
        'agents:kit-installer',
        {
          target,
          kind,
          source: sourceInput,
          ...(kind !== 'msi' ? { arch } : {}),
          ...(runnerInput ? { runner: runnerInput } : {}),
          labels: splitList(labels),
          frontends: frontends.frontends,
        },
        { onProgress: (e) => setStep(e.step), endedEarly: BUILD_ENDED_EARLY },
      );
      if (browserMode) await handToBrowser(api, r.savedTo, r.name);
      setBuilt(r);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
      setStep(undefined);
    }
  };

  return (
    <Card withBorder data-testid="kit-installers">
      <Stack gap="xs">
        <Title order={5}>Installers</Title>
        <Text size="xs" c="dimmed">
          Built here by Velociraptor&apos;s own <Code>config repack --msi</Code>, <Code>debian client</Code>{' '}
          or <Code>rpm client</Code> with the chosen server&apos;s agent config (where agents dial, its CA,
          the labels applied at enrolment). Saved in the data folder&apos;s exports/agent-kits
          {browserMode ? ' and downloaded' : ''}.
        </Text>
        <Group grow align="flex-start">
          <Select
            label="Kind"
            data={KINDS}
            value={kind}
            onChange={(v) => {
              setKind(v ?? 'msi');
              setFile(null);
            }}
            allowDeselect={false}
            data-testid="kit-installer-kind"
          />
          {kind === 'msi' ? (
            <TextInput label="Target" value="Windows, amd64" readOnly />
          ) : (
            <Select
              label="Target architecture (Linux)"
              data={['amd64', 'arm64']}
              value={arch}
              onChange={(v) => setArch(v === 'arm64' ? 'arm64' : 'amd64')}
              allowDeselect={false}
              disabled={source === 'file'}
              data-testid="kit-installer-arch"
            />
          )}
        </Group>
        <SegmentedControl
          value={source}
          onChange={(v) => setSource(v === 'file' ? 'file' : 'release')}
          data={[
            { value: 'release', label: 'Verified release' },
            { value: 'file', label: kind === 'msi' ? 'My MSI' : 'My binary' },
          ]}
          data-testid="kit-installer-source"
        />
        {source === 'release' ? (
          <TextInput
            label={
              kind === 'msi'
                ? 'Release (its signed MSI is fetched and verified)'
                : 'Release (the Linux client is fetched and verified)'
            }
            value={tag}
            onChange={(e) => setTag(e.currentTarget.value)}
            data-testid="kit-installer-tag"
          />
        ) : (
          <FileInput
            label={
              kind === 'msi'
                ? "Velociraptor's Windows MSI (velociraptor-v…-windows-amd64.msi)"
                : 'The Velociraptor Linux client to package'
            }
            {...(kind === 'msi' ? { accept: '.msi' } : {})}
            file={file}
            onChange={setFile}
            testId="kit-installer-file"
          />
        )}
        <FileInput
          label="Velociraptor for this machine (optional: builds without fetching the release for this machine)"
          file={runner}
          onChange={setRunner}
          testId="kit-installer-runner"
        />
        <Group grow align="flex-start">
          <TextInput
            label="Labels (comma-separated)"
            value={labels}
            onChange={(e) => setLabels(e.currentTarget.value)}
            data-testid="kit-installer-labels"
          />
          <TextInput
            label="Frontends (HOST:PORT, optional)"
            placeholder="The server's own URLs"
            value={frontendsText}
            onChange={(e) => setFrontendsText(e.currentTarget.value)}
            error={'problem' in frontends ? frontends.problem : undefined}
            data-testid="kit-installer-frontends"
          />
        </Group>
        <Group>
          <Button
            disabled={!target || (source === 'file' && !file) || 'problem' in frontends}
            loading={busy}
            onClick={() => void build()}
            data-testid="kit-installer-build"
          >
            Build and save
          </Button>
          {busy && step ? (
            <Text size="xs" data-testid="kit-installer-progress">
              {step === 'sending' ? 'Sending the files to the app…' : `${step}…`}
            </Text>
          ) : null}
        </Group>
        {!target ? (
          <Text size="xs" c="dimmed">
            Choose the server above first.
          </Text>
        ) : null}
        {error ? (
          <Alert color="red" data-testid="kit-installer-error">
            {error}
          </Alert>
        ) : null}
        {built ? (
          <Stack gap="xs" data-testid="kit-installer-result" data-saved-to={built.savedTo}>
            <Text size="xs" style={{ overflowWrap: 'anywhere' }} data-testid="kit-installer-saved">
              Saved {built.savedTo}
            </Text>
            <KitFilesTable files={built.files} testId="kit-installer-files" />
            <Text size="xs" c="dimmed" style={{ overflowWrap: 'anywhere' }}>
              Built with <Code>{built.command.join(' ')}</Code>; packed binary sha256 {built.binarySha256}
            </Text>
            {built.notes.length ? (
              <Alert
                color="yellow"
                title="Notes"
                style={{ overflowWrap: 'anywhere' }}
                data-testid="kit-installer-notes"
              >
                <List size="xs">
                  {built.notes.map((n) => (
                    <List.Item key={n}>{n}</List.Item>
                  ))}
                </List>
              </Alert>
            ) : null}
          </Stack>
        ) : null}
        <GpoKit target={target} browserMode={browserMode} built={built?.kind === 'msi' ? built : undefined} />
      </Stack>
    </Card>
  );
}

function GpoKit(props: { target: Target | null; browserMode: boolean; built: InstallerBuilt | undefined }) {
  const api = useApi();
  const [from, setFrom] = useState<'built' | 'file'>('built');
  const [file, setFile] = useState<File | null>(null);
  const [share, setShare] = useState('');
  const [busy, setBusy] = useState(false);
  const [step, setStep] = useState<string>();
  const [error, setError] = useState<string>();
  const [kit, setKit] = useState<GpoKitBuilt>();
  const useBuilt = from === 'built';
  const ready = props.target && (useBuilt ? !!props.built : !!file);

  const build = async () => {
    if (!props.target) return;
    setBusy(true);
    setError(undefined);
    setKit(undefined);
    try {
      const msi =
        useBuilt && props.built ? { built: props.built.savedTo } : file ? await send(api, file, 'msi') : null;
      if (!msi) return;
      const r = await streamResult(
        api,
        'agents:kit-gpo',
        { target: props.target, msi, ...(share.trim() ? { share: share.trim() } : {}) },
        { onProgress: (e) => setStep(e.step), endedEarly: BUILD_ENDED_EARLY },
      );
      if (props.browserMode) await handToBrowser(api, r.savedTo, r.name);
      setKit(r);
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
      setStep(undefined);
    }
  };

  return (
    <Stack gap="xs" mt="sm" data-testid="kit-gpo">
      <Title order={6}>GPO kit (Windows domains)</Title>
      <Text size="xs" c="dimmed">
        The MSI, a README with the Group Policy steps (a share the computers read, software installation or a
        startup script), the startup script and SHA256SUMS, as a folder and its ZIP.
      </Text>
      <SegmentedControl
        value={from}
        onChange={(v) => setFrom(v === 'file' ? 'file' : 'built')}
        data={[
          { value: 'built', label: 'The MSI built above' },
          { value: 'file', label: 'My MSI (e.g. re-signed)' },
        ]}
        data-testid="kit-gpo-from"
      />
      {useBuilt ? (
        <Text size="xs" c={props.built ? undefined : 'dimmed'} data-testid="kit-gpo-built">
          {props.built ? props.built.name : 'Build a Windows MSI above first, or choose your MSI.'}
        </Text>
      ) : null}
      {!useBuilt ? (
        <FileInput
          label="The MSI for the kit"
          accept=".msi"
          file={file}
          onChange={setFile}
          testId="kit-gpo-file"
        />
      ) : null}
      <TextInput
        label="Share the computers read it from (UNC)"
        placeholder="\\fileserver\Velociraptor$"
        value={share}
        onChange={(e) => setShare(e.currentTarget.value)}
        data-testid="kit-gpo-share"
      />
      <Group>
        <Button disabled={!ready} loading={busy} onClick={() => void build()} data-testid="kit-gpo-build">
          Build the GPO kit
        </Button>
        {busy && step ? (
          <Text size="xs" data-testid="kit-gpo-progress">
            {step}…
          </Text>
        ) : null}
      </Group>
      {error ? (
        <Alert color="red" data-testid="kit-gpo-error">
          {error}
        </Alert>
      ) : null}
      {kit ? (
        <Stack gap="xs" data-testid="kit-gpo-result" data-saved-to={kit.savedTo}>
          <Text size="xs" style={{ overflowWrap: 'anywhere' }} data-testid="kit-gpo-saved">
            Saved {kit.savedTo} (the same files in {kit.folder})
          </Text>
          <KitFilesTable files={[...kit.files, kit.zip]} testId="kit-gpo-files" />
          <Text size="xs" c="dimmed">
            Follow README.md: Group Policy Management → Computer Configuration → Software installation.
          </Text>
        </Stack>
      ) : null}
    </Stack>
  );
}
