/**
 * The dialog for the two actions that touch a secret, one component for both: it says what the
 * action does, waits for an explicit confirmation, then runs it. Reveal then shows the value masked
 * until the responder clicks Show (copy works without showing; the value is dropped when the dialog
 * closes and is never logged); delete says what breaks, deletes secret and entry, and reports back.
 * Test ids follow the mode: `reveal-modal` / `delete-modal`, `-confirm`, `-error`.
 */
import { Alert, Button, CopyButton, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { IconCheck, IconCopy, IconEye, IconEyeOff, IconTrash } from '@tabler/icons-react';
import { useState, type ReactNode } from 'react';
import type { CredentialListItem } from '../../../../shared/contracts/credentials';
import { useApi } from '../../api/index';
import { kindLabel } from './credential-view';
import { describeError } from '../../../../shared/errors';

/** A fixed-length mask: the length of the secret is not shown either. */
const MASK = '•'.repeat(32);

export type SecretAction = 'reveal' | 'delete';

type Api = ReturnType<typeof useApi>;

/** What differs between the two actions. */
interface ActionSpec {
  title: (item: CredentialListItem) => string;
  size: 'md' | 'lg';
  explain: (item: CredentialListItem) => ReactNode;
  confirm: { label: string; color: string; icon: ReactNode };
  /** Runs the confirmed action: the revealed value, or undefined when there is nothing to show. */
  run: (api: Api, item: CredentialListItem) => Promise<string | undefined>;
}

const ACTIONS: Record<SecretAction, ActionSpec> = {
  reveal: {
    title: (item) => `Reveal “${item.name}”`,
    size: 'lg',
    explain: (item) => (
      <Text size="sm">
        {`This reads the ${kindLabel(item.kind).toLowerCase()} from the credential store and puts it on this screen. Anyone who can see your screen, or a screen recording, can read it once you show it.`}
        {item.kind === 'api-config'
          ? ' An API client config holds a private key: whoever has it can act on the server as its user.'
          : ''}
      </Text>
    ),
    confirm: { label: 'Yes, reveal it', color: 'orange', icon: <IconEye size={16} /> },
    run: async (api, item) => (await api.call('credentials:reveal', { id: item.id, confirm: true })).value,
  },
  delete: {
    title: (item) => `Delete “${item.name}”?`,
    size: 'md',
    explain: (item) => (
      <>
        <Text size="sm">
          The secret is deleted from the credential store and its entry from this list. This cannot be undone.
        </Text>
        {item.owner.serverName ? (
          <Text size="sm">{`The server “${item.owner.serverName}” will no longer re-open when the app starts. To stop using it, remove it on the Connections page instead, which also deletes this credential.`}</Text>
        ) : null}
      </>
    ),
    confirm: { label: 'Delete', color: 'red', icon: <IconTrash size={16} /> },
    run: async (api, item) => {
      await api.call('credentials:delete', { id: item.id });
      return undefined;
    },
  },
};

export function SecretModal({
  action,
  item,
  onClose,
  onDone,
}: {
  action: SecretAction;
  /** The credential to act on; undefined keeps the dialog closed. */
  item: CredentialListItem | undefined;
  onClose: () => void;
  /** After the action ran and there is nothing to show (delete). */
  onDone?: (item: CredentialListItem) => void;
}) {
  const spec = ACTIONS[action];
  return (
    <Modal
      opened={item !== undefined}
      onClose={onClose}
      title={item ? spec.title(item) : ''}
      size={spec.size}
      data-testid={`${action}-modal`}
    >
      {/* Keyed: another item, or closing, unmounts the body and so forgets a revealed value. */}
      {item ? (
        <SecretBody
          key={item.id}
          action={action}
          item={item}
          onClose={onClose}
          {...(onDone ? { onDone } : {})}
        />
      ) : null}
    </Modal>
  );
}

function SecretBody({
  action,
  item,
  onClose,
  onDone,
}: {
  action: SecretAction;
  item: CredentialListItem;
  onClose: () => void;
  onDone?: (item: CredentialListItem) => void;
}) {
  const api = useApi();
  const spec = ACTIONS[action];
  const [value, setValue] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const confirm = () => {
    setBusy(true);
    setError(undefined);
    spec
      .run(api, item)
      .then((v) => (v === undefined ? onDone?.(item) : setValue(v)))
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };

  if (value !== undefined) return <RevealedValue value={value} onClose={onClose} />;
  return (
    <Stack gap="sm">
      {spec.explain(item)}
      {error ? (
        <Alert color="red" data-testid={`${action}-error`}>
          {error}
        </Alert>
      ) : null}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose} data-autofocus>
          Cancel
        </Button>
        <Button
          color={spec.confirm.color}
          onClick={confirm}
          loading={busy}
          leftSection={spec.confirm.icon}
          data-testid={`${action}-confirm`}
        >
          {spec.confirm.label}
        </Button>
      </Group>
    </Stack>
  );
}

/** The revealed value: masked until Show, copyable either way. */
function RevealedValue({ value, onClose }: { value: string; onClose: () => void }) {
  const [shown, setShown] = useState(false);
  const multiline = value.includes('\n');
  return (
    <Stack gap="sm">
      <Textarea
        label="Secret"
        description={
          shown
            ? 'Shown. Close this dialog when you are done; the value is not kept.'
            : 'Masked. Click Show to see it, or copy it without showing it.'
        }
        value={shown ? value : MASK}
        readOnly
        autosize
        minRows={1}
        maxRows={multiline && shown ? 14 : 1}
        styles={{ input: { fontFamily: 'monospace' } }}
        data-testid="reveal-value"
        data-shown={shown}
      />
      <Group justify="flex-end">
        <Button
          variant="default"
          leftSection={shown ? <IconEyeOff size={16} /> : <IconEye size={16} />}
          onClick={() => setShown((s) => !s)}
          data-testid="reveal-toggle"
        >
          {shown ? 'Hide' : 'Show'}
        </Button>
        <CopyButton value={value} timeout={1500}>
          {({ copied, copy }) => (
            <Button
              variant="default"
              leftSection={copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
              onClick={copy}
              data-testid="reveal-copy"
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          )}
        </CopyButton>
        <Button onClick={onClose}>Done</Button>
      </Group>
    </Stack>
  );
}
