/**
 * Import of an API client config: file picker, drag-and-drop or paste. The core validates it at
 * once (YAML, PEMs, key/cert match, CA signature, validity) and every failure says which.
 */
import {
  Alert,
  Button,
  FileButton,
  Group,
  Paper,
  PasswordInput,
  SegmentedControl,
  Stack,
  Text,
  Textarea,
  TextInput,
} from '@mantine/core';
import { IconFileUpload } from '@tabler/icons-react';
import { useState } from 'react';
import type { ConnectionInfo } from '../../../../shared/contracts/connections';
import { isAppError, messageOf } from '../../../../shared/errors';
import { useApi } from '../../api/index';

export function ImportForm(props: { keychainAvailable: boolean; onImported(c: ConnectionInfo): void }) {
  const api = useApi();
  const [name, setName] = useState('');
  const [yaml, setYaml] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [passphrase, setPassphrase] = useState('');
  const [needsPass, setNeedsPass] = useState(false);
  const [storage, setStorage] = useState<'keychain' | 'session'>(
    props.keychainAvailable ? 'keychain' : 'session',
  );
  const [error, setError] = useState<{ code: string; message: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [dragging, setDragging] = useState(false);

  const load = (f: File | null) => {
    if (!f) return;
    if (f.size > 1_000_000) {
      setError({
        code: 'INVALID_ARGUMENT',
        message:
          'That file is larger than 1 MB; an API config is a few kilobytes. Choose the file `velociraptor config api_client` wrote.',
      });
      return;
    }
    void f.text().then((t) => {
      setYaml(t);
      setFileName(f.name);
      if (!name)
        setName(
          f.name
            .replace(/\.(ya?ml|config)$/i, '')
            .replace(/[^\p{L}\p{N}_.@ ()-]/gu, '-')
            .slice(0, 64),
        );
    });
  };

  const submit = () => {
    setBusy(true);
    setError(null);
    api
      .call('connections:import', { name: name.trim(), yaml, storage, ...(passphrase ? { passphrase } : {}) })
      .then((c) => {
        setYaml('');
        setName('');
        setPassphrase('');
        setFileName(null);
        props.onImported(c);
      })
      .catch((e: unknown) => {
        const code = isAppError(e) ? e.code : 'INTERNAL';
        if (code === 'CONFIG_PASSPHRASE_REQUIRED') setNeedsPass(true);
        setError({ code, message: messageOf(e) });
      })
      .finally(() => setBusy(false));
  };

  return (
    <Stack gap="sm" data-testid="import-form">
      <Paper
        withBorder
        p="md"
        data-testid="config-dropzone"
        style={{
          borderStyle: 'dashed',
          background: dragging ? 'var(--mantine-primary-color-light)' : undefined,
        }}
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={(e) => {
          e.preventDefault();
          setDragging(false);
          load(e.dataTransfer.files[0] ?? null);
        }}
      >
        <Group>
          <IconFileUpload size={28} />
          <div style={{ flex: 1 }}>
            <Text fw={600}>Drop an API client config here</Text>
            <Text size="sm" c="dimmed">
              The YAML file written by{' '}
              <code>velociraptor config api_client --name you --role investigator api.config.yaml</code>.{' '}
              {fileName ? `Loaded: ${fileName}` : ''}
            </Text>
          </div>
          <FileButton onChange={load} accept=".yaml,.yml,.config,text/yaml,text/plain">
            {(p) => (
              <Button variant="default" {...p}>
                Choose file…
              </Button>
            )}
          </FileButton>
        </Group>
      </Paper>
      <Textarea
        label="…or paste it"
        aria-label="API config YAML"
        data-testid="config-yaml"
        autosize
        minRows={3}
        maxRows={8}
        styles={{ input: { fontFamily: 'var(--mantine-font-family-monospace)', fontSize: 12 } }}
        value={yaml}
        onChange={(e) => setYaml(e.currentTarget.value)}
      />
      <Group grow align="flex-start">
        <TextInput
          label="Name for this server"
          description="Letters, digits, spaces, _ . @ -"
          value={name}
          onChange={(e) => setName(e.currentTarget.value)}
          data-testid="config-name"
        />
        {needsPass ? (
          <PasswordInput
            label="Key passphrase"
            description="The private key in this config is encrypted."
            value={passphrase}
            onChange={(e) => setPassphrase(e.currentTarget.value)}
          />
        ) : null}
      </Group>
      <div>
        <Text size="sm" fw={500}>
          Where the private key goes
        </Text>
        <SegmentedControl
          value={storage}
          onChange={(v) => setStorage(v === 'session' ? 'session' : 'keychain')}
          data={[
            { value: 'keychain', label: 'OS keychain (remembered)', disabled: !props.keychainAvailable },
            { value: 'session', label: 'This session only (memory)' },
          ]}
        />
        {!props.keychainAvailable ? (
          <Text size="xs" c="dimmed">
            No OS keychain is available, so the config is kept in memory until the app closes. Details under
            Settings.
          </Text>
        ) : null}
      </div>
      {error ? (
        <Alert color="red" title={`The config was not imported (${error.code})`} data-testid="import-error">
          {error.message}
        </Alert>
      ) : null}
      <Group>
        <Button
          onClick={submit}
          loading={busy}
          disabled={!yaml.trim() || !name.trim()}
          data-testid="import-submit"
        >
          Import and connect
        </Button>
      </Group>
    </Stack>
  );
}
