/**
 * Where secrets are kept: the OS keychain, the file vault the responder chose, or nothing yet — then
 * why, and the passphrase-encrypted file vault offered as an explicit choice (never a silent
 * plaintext fallback).
 */
import { Alert, Button, Group, PasswordInput, Stack, Text } from '@mantine/core';
import { IconAlertTriangle, IconLock, IconShieldCheck } from '@tabler/icons-react';
import { useState, type FormEvent } from 'react';
import type { CredentialStatus } from '../../../../shared/contracts/credentials';
import { useApi } from '../../api/index';
import { describeError } from '../../../../shared/errors';

function counts(s: CredentialStatus): string {
  return `${s.count} stored${s.expiringCount ? ` · ${s.expiringCount} expired or expiring within 30 days` : ''}`;
}

function VaultForm({ create, onOpened }: { create: boolean; onOpened: (s: CredentialStatus) => void }) {
  const api = useApi();
  const [passphrase, setPassphrase] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const tooShort = passphrase.length < 8;
  const mismatch = create && confirm !== passphrase;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (tooShort || mismatch) return;
    setBusy(true);
    setError(undefined);
    api
      .call('credentials:vault-open', { passphrase, create })
      .then((s) => {
        setPassphrase('');
        setConfirm('');
        onOpened(s);
      })
      .catch((err: unknown) => setError(describeError(err)))
      .finally(() => setBusy(false));
  };

  return (
    <form onSubmit={submit} data-testid="vault-form">
      <Stack gap="xs">
        <Text size="sm">
          {create
            ? 'Create a file vault in the app-data folder, encrypted with a passphrase you choose (scrypt + AES-256-GCM). The passphrase is not stored anywhere: you type it each time the app starts, and without it the secrets cannot be recovered.'
            : 'A file vault exists. Type its passphrase to open it for this run.'}
        </Text>
        <Group align="end" gap="xs">
          <PasswordInput
            label="Vault passphrase"
            description="At least 8 characters"
            value={passphrase}
            onChange={(e) => setPassphrase(e.currentTarget.value)}
            autoComplete={create ? 'new-password' : 'current-password'}
            data-testid="vault-passphrase"
            style={{ flex: 1 }}
          />
          {create ? (
            <PasswordInput
              label="Repeat the passphrase"
              value={confirm}
              onChange={(e) => setConfirm(e.currentTarget.value)}
              autoComplete="new-password"
              error={confirm !== '' && mismatch ? 'The passphrases differ' : undefined}
              data-testid="vault-passphrase-confirm"
              style={{ flex: 1 }}
            />
          ) : null}
          <Button
            type="submit"
            loading={busy}
            disabled={tooShort || mismatch}
            leftSection={<IconLock size={16} />}
            data-testid="vault-submit"
          >
            {create ? 'Create the file vault' : 'Open the file vault'}
          </Button>
        </Group>
        {error ? (
          <Alert color="red" data-testid="vault-error">
            {error}
          </Alert>
        ) : null}
      </Stack>
    </form>
  );
}

export function StatusBanner({
  status,
  error,
  onStatus,
}: {
  status: CredentialStatus | undefined;
  error: string | undefined;
  onStatus: (s: CredentialStatus) => void;
}) {
  if (error) {
    return (
      <Alert
        color="red"
        title="The credential store did not answer"
        data-testid="credentials-status"
        data-store="error"
      >
        {error}
      </Alert>
    );
  }
  if (!status) return <Text c="dimmed">Checking the credential store…</Text>;
  const damaged =
    status.quarantinedIndexes > 0 ? (
      <Alert color="orange" title="The credential index was damaged" data-testid="credentials-quarantine">
        {`${status.quarantinedIndexes} damaged cop${status.quarantinedIndexes === 1 ? 'y is' : 'ies are'} kept aside (never overwritten). Run “Check for problems” to see what can be recovered, then apply the repair.`}
      </Alert>
    ) : null;

  if (status.store === 'keychain') {
    return (
      <Stack gap="xs">
        <Alert
          color="teal"
          icon={<IconShieldCheck size={18} />}
          title={`Secrets are kept in the OS keychain (${status.backend})`}
          data-testid="credentials-status"
          data-store="keychain"
        >
          {`${counts(status)}. This page lists what is stored; a secret is read from the keychain only when you reveal it or a connection needs it.`}
        </Alert>
        {damaged}
      </Stack>
    );
  }
  if (status.store === 'vault') {
    return (
      <Stack gap="xs">
        <Alert
          color="blue"
          icon={<IconLock size={18} />}
          title="Secrets are kept in your passphrase-encrypted file vault"
          data-testid="credentials-status"
          data-store="vault"
        >
          {`No OS keychain answered, and you chose the file vault (${status.backend}). It is open for this run. ${counts(status)}.`}
        </Alert>
        {damaged}
      </Stack>
    );
  }
  return (
    <Stack gap="xs">
      <Alert
        color="orange"
        icon={<IconAlertTriangle size={18} />}
        title={`No OS keychain is available (${status.backend})`}
        data-testid="credentials-status"
        data-store="none"
      >
        <Stack gap="sm">
          <Text size="sm">{status.detail ?? 'No OS keychain answered.'}</Text>
          <Text size="sm">
            Nothing is written in plain text. Start a Secret Service (for example gnome-keyring) and reload
            this page, or choose the file vault:
          </Text>
          {status.vaultOffered ? <VaultForm create={!status.vaultLocked} onOpened={onStatus} /> : null}
        </Stack>
      </Alert>
      {damaged}
    </Stack>
  );
}
