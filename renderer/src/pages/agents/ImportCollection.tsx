/**
 * The way back of an offline collection: the returned ZIP picked or dropped here is sent to the core in
 * chunks (size and progress shown, cancel), checked there (a Velociraptor collection, a sane size;
 * a password-protected one decrypted with the keychain entry picked here), then copied to the server
 * and imported
 * (Server.Utils.ImportCollection) with progress; the result names the client and flow, with links, and
 * the rows of each source. The same in browser mode and in the desktop app.
 * Test ids: `kit-import`, `kit-import-drop`, `kit-import-input`, `kit-import-file`, `kit-import-password`, `kit-import-run`,
 * `kit-import-progress` (data-phase, data-step), `kit-import-cancel`, `kit-import-error` (data-code),
 * `kit-imported`, `kit-imported-client`, `kit-imported-flow`, `kit-imported-source`.
 */
import {
  Alert,
  Button,
  Card,
  Group,
  List,
  Paper,
  Progress,
  Stack,
  Text,
  TextInput,
  Title,
} from '@mantine/core';
import { IconFileZip } from '@tabler/icons-react';
import { useRef, useState, type DragEvent } from 'react';
import type { ImportedCollection } from '../../../../shared/agent-kits';
import { formatBytes } from '../../../../shared/bytes';
import type { Target } from '../../../../shared/contracts/connections';
import { describeError, isAppError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { streamResult } from '../../api/stream-result';
import { uploadFile } from '../../api/upload-file';
import { ClientLink } from './ClientLink';
import { SecretPicker } from './SecretPicker';

type Phase = 'idle' | 'sending' | 'importing' | 'done' | 'failed';

interface Step {
  step: 'upload' | 'import' | 'read';
  sent?: number | undefined;
  total?: number | undefined;
}

const STEP_WORDS: Record<Step['step'], string> = {
  upload: 'Copying onto the server',
  import: 'The server imports the collection',
  read: 'Reading the rows back',
};

export function ImportCollectionCard({ target }: { target: Target | null }) {
  const api = useApi();
  const input = useRef<HTMLInputElement>(null);
  const abort = useRef<AbortController | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [hostname, setHostname] = useState('');
  const [passwordRef, setPasswordRef] = useState('');
  const [phase, setPhase] = useState<Phase>('idle');
  const [sent, setSent] = useState(0);
  const [checked, setChecked] = useState<Record<string, unknown>>();
  const [step, setStep] = useState<Step>();
  const [result, setResult] = useState<{ target: Target; imported: ImportedCollection }>();
  const [error, setError] = useState<{ code: string; message: string }>();
  const busy = phase === 'sending' || phase === 'importing';

  const choose = (f: File | undefined) => {
    if (!f || busy) return;
    setFile(f);
    setPhase('idle');
    setError(undefined);
    setResult(undefined);
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    choose(e.dataTransfer.files[0]);
  };

  const run = async () => {
    if (!file || !target) return;
    const ctl = new AbortController();
    abort.current = ctl;
    setError(undefined);
    setResult(undefined);
    setChecked(undefined);
    setStep(undefined);
    setSent(0);
    setPhase('sending');
    try {
      const upload = await uploadFile(api, file, 'collection', {
        signal: ctl.signal,
        onProgress: (n) => setSent(n),
      });
      setChecked(upload.checked);
      setPhase('importing');
      const imported = await streamResult(
        api,
        'agents:import-collection',
        {
          target,
          upload: upload.id,
          ...(hostname.trim() ? { hostname: hostname.trim() } : {}),
          ...(passwordRef ? { passwordRef } : {}),
        },
        {
          onProgress: setStep,
          endedEarly: 'The import ended without a result; look at the server.',
          signal: ctl.signal,
          cancelled: 'The import was cancelled; the app removed its copies.',
        },
      );
      setResult({ target, imported });
      setPhase('done');
    } catch (e) {
      setError({ code: isAppError(e) ? e.code : 'INTERNAL', message: describeError(e) });
      setPhase('failed');
    } finally {
      abort.current = null;
    }
  };

  const checkedText = checked
    ? `${checked.encryption === 'x509' ? 'X509-encrypted collection (the app decrypts it when built with its own key, otherwise the server)' : checked.encryption === 'password' ? 'Password-protected collection (the app decrypts it with the chosen keychain entry)' : `Collection${typeof checked.hostname === 'string' && checked.hostname ? ` from ${checked.hostname}` : ''}`}, ${String(checked.entries)} files inside.`
    : '';

  return (
    <Card withBorder data-testid="kit-import">
      <Stack gap="xs">
        <Title order={5}>Import a returned collection</Title>
        <Text size="xs" c="dimmed">
          The ZIP an offline collector wrote, as it came back: sent to the app, checked, copied to the server
          and imported (Server.Utils.ImportCollection); its results read back.
        </Text>
        <Paper
          withBorder
          p="md"
          style={{ borderStyle: 'dashed', textAlign: 'center' }}
          onDragOver={(e) => e.preventDefault()}
          onDrop={onDrop}
          data-testid="kit-import-drop"
        >
          <Group justify="center" gap="xs">
            <IconFileZip size={20} />
            <Text size="sm">Drop the Collection-….zip here, or</Text>
            <Button size="xs" variant="default" disabled={busy} onClick={() => input.current?.click()}>
              Choose a file
            </Button>
          </Group>
          <input
            ref={input}
            type="file"
            accept=".zip,application/zip"
            hidden
            onChange={(e) => {
              choose(e.currentTarget.files?.[0]);
              e.currentTarget.value = '';
            }}
            data-testid="kit-import-input"
          />
          {file ? (
            <Text size="sm" mt="xs" data-testid="kit-import-file">
              {file.name} — {formatBytes(file.size)}
            </Text>
          ) : null}
        </Paper>
        <TextInput
          label="Host name for a new client (optional; the collection's own wins)"
          value={hostname}
          onChange={(e) => setHostname(e.currentTarget.value)}
          disabled={busy}
        />
        <SecretPicker
          label="ZIP password, for a collector built with one (the same keychain entry)"
          kind="password"
          value={passwordRef}
          onChange={setPasswordRef}
          testId="kit-import-password"
        />
        <Group>
          <Button
            disabled={!target || !file || busy}
            loading={busy}
            onClick={() => void run()}
            data-testid="kit-import-run"
          >
            Import
          </Button>
          {busy ? (
            <Button
              variant="light"
              color="red"
              onClick={() => abort.current?.abort()}
              data-testid="kit-import-cancel"
            >
              Cancel
            </Button>
          ) : null}
        </Group>
        {!target ? (
          <Text size="xs" c="dimmed">
            Choose the server above first.
          </Text>
        ) : null}
        {busy && file ? (
          <Stack gap={4} data-testid="kit-import-progress" data-phase={phase} data-step={step?.step ?? ''}>
            {phase === 'sending' ? (
              <>
                <Progress value={(100 * sent) / Math.max(1, file.size)} size="sm" />
                <Text size="xs">
                  Sending to the app: {formatBytes(sent)} of {formatBytes(file.size)}
                </Text>
              </>
            ) : (
              <>
                <Text size="xs">{checkedText}</Text>
                <Progress
                  value={step?.step === 'upload' && step.total ? (100 * (step.sent ?? 0)) / step.total : 100}
                  animated={step?.step !== 'upload'}
                  size="sm"
                />
                <Text size="xs">
                  {step ? STEP_WORDS[step.step] : 'Starting the import'}
                  {step?.step === 'upload' && step.total
                    ? `: ${formatBytes(step.sent ?? 0)} of ${formatBytes(step.total)}`
                    : '…'}
                </Text>
              </>
            )}
          </Stack>
        ) : null}
        {error ? (
          <Alert
            color={error.code === 'CANCELLED' ? 'gray' : 'red'}
            data-testid="kit-import-error"
            data-code={error.code}
          >
            {error.message}
          </Alert>
        ) : null}
        {result ? <ImportResult {...result} /> : null}
      </Stack>
    </Card>
  );
}

function ImportResult({ target, imported }: { target: Target; imported: ImportedCollection }) {
  return (
    <Alert color="green" data-testid="kit-imported">
      <Text size="sm">
        Imported into{' '}
        <ClientLink target={target} clientId={imported.clientId} testId="kit-imported-client">
          {imported.clientId}
        </ClientLink>{' '}
        as flow{' '}
        <ClientLink
          target={target}
          clientId={imported.clientId}
          flowId={imported.flowId}
          testId="kit-imported-flow"
        >
          {imported.flowId}
        </ClientLink>
        : {imported.totalRows} rows, {imported.uploadedFiles} files ({formatBytes(imported.bytes)} sent,
        sha256 {imported.sha256.slice(0, 16)}…)
      </Text>
      <List size="xs">
        {imported.artifacts.map((a) => (
          <List.Item key={a.name} data-testid="kit-imported-source" data-source={a.name} data-rows={a.rows}>
            {a.name}: {a.rows} rows
          </List.Item>
        ))}
      </List>
    </Alert>
  );
}
