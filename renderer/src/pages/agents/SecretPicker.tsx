/**
 * Picks a password or passphrase from the keychain by its record (the id is the keychain reference the
 * push settings name), or stores a new one there first (`credentials:add`). The value typed here goes
 * to the keychain once and is never shown, logged or kept in the form.
 */
import { Button, Group, PasswordInput, Select, Stack, Text, TextInput } from '@mantine/core';
import { useState } from 'react';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';

export function SecretPicker({
  label,
  kind,
  value,
  onChange,
  testId,
}: {
  label: string;
  kind: 'password' | 'passphrase';
  value: string;
  onChange: (id: string) => void;
  testId: string;
}) {
  const api = useApi();
  const list = useCall('credentials:list', { kind, pageSize: 500 });
  const [adding, setAdding] = useState(false);
  const [name, setName] = useState('');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<string>();
  const [saving, setSaving] = useState(false);

  const save = () => {
    setSaving(true);
    setError(undefined);
    api
      .call('credentials:add', { name: name.trim(), kind, secret })
      .then((meta) => {
        setSecret('');
        setName('');
        setAdding(false);
        list.reload();
        onChange(meta.id);
      })
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setSaving(false));
  };

  return (
    <Stack gap={4} data-testid={testId}>
      <Group align="flex-end" gap="xs">
        <Select
          style={{ flex: 1 }}
          label={label}
          placeholder={list.loading ? 'Loading the keychain…' : 'Choose a record of the keychain'}
          data={(list.value?.items ?? []).map((c) => ({ value: c.id, label: c.name }))}
          value={value || null}
          onChange={(v) => onChange(v ?? '')}
          clearable
          searchable
          data-testid={`${testId}-select`}
        />
        <Button variant="default" onClick={() => setAdding((a) => !a)} data-testid={`${testId}-add`}>
          Add to the keychain
        </Button>
      </Group>
      {list.error ? (
        <Text size="xs" c="red">
          {list.error}
        </Text>
      ) : null}
      {adding ? (
        <Group align="flex-end" gap="xs">
          <TextInput
            label="Name"
            value={name}
            onChange={(e) => setName(e.currentTarget.value)}
            data-testid={`${testId}-name`}
          />
          <PasswordInput
            style={{ flex: 1 }}
            label={kind === 'password' ? 'Password' : 'Passphrase'}
            value={secret}
            onChange={(e) => setSecret(e.currentTarget.value)}
            autoComplete="off"
            data-testid={`${testId}-secret`}
          />
          <Button
            onClick={save}
            loading={saving}
            disabled={!name.trim() || !secret}
            data-testid={`${testId}-save`}
          >
            Save
          </Button>
        </Group>
      ) : null}
      {error ? (
        <Text size="xs" c="red">
          {error}
        </Text>
      ) : null}
    </Stack>
  );
}
