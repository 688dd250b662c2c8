/**
 * The two dialogs that touch a secret: reveal (an explicit confirmation first; then the value stays
 * masked until the responder clicks Show; copy; the value is dropped when the dialog closes and is
 * never logged) and delete (says what breaks, then deletes secret and entry).
 */
import { Alert, Button, CopyButton, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { IconCheck, IconCopy, IconEye, IconEyeOff, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import type { CredentialListItem } from '../../../../shared/contracts/credentials';
import { useApi } from '../../api/index';
import { errorText } from '../../components/investigation/errors';
import { kindLabel } from './credential-view';

/** A fixed-length mask: the length of the secret is not shown either. */
const MASK = '•'.repeat(32);

export function RevealModal({
  item,
  onClose,
}: {
  item: CredentialListItem | undefined;
  onClose: () => void;
}) {
  return (
    <Modal
      opened={item !== undefined}
      onClose={onClose}
      title={item ? `Reveal “${item.name}”` : ''}
      size="lg"
      data-testid="reveal-modal"
    >
      {/* Keyed: another item, or closing, unmounts the body and so forgets the revealed value. */}
      {item ? <RevealBody key={item.id} item={item} onClose={onClose} /> : null}
    </Modal>
  );
}

function RevealBody({ item, onClose }: { item: CredentialListItem; onClose: () => void }) {
  const api = useApi();
  const [value, setValue] = useState<string>();
  const [shown, setShown] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const reveal = () => {
    setBusy(true);
    setError(undefined);
    api
      .call('credentials:reveal', { id: item.id, confirm: true })
      .then((r) => setValue(r.value))
      .catch((e: unknown) => setError(errorText(e)))
      .finally(() => setBusy(false));
  };

  const multiline = value !== undefined && value.includes('\n');
  return (
    <Stack gap="sm">
      {value === undefined ? (
        <>
          <Text size="sm">
            {`This reads the ${kindLabel(item.kind).toLowerCase()} from the credential store and puts it on this screen. Anyone who can see your screen, or a screen recording, can read it once you show it.`}
            {item.kind === 'api-config'
              ? ' An API client config holds a private key: whoever has it can act on the server as its user.'
              : ''}
          </Text>
          {error ? (
            <Alert color="red" data-testid="reveal-error">
              {error}
            </Alert>
          ) : null}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose} data-autofocus>
              Cancel
            </Button>
            <Button
              color="orange"
              onClick={reveal}
              loading={busy}
              leftSection={<IconEye size={16} />}
              data-testid="reveal-confirm"
            >
              Yes, reveal it
            </Button>
          </Group>
        </>
      ) : (
        <>
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
        </>
      )}
    </Stack>
  );
}

export function DeleteModal({
  item,
  onClose,
  onDeleted,
}: {
  item: CredentialListItem | undefined;
  onClose: () => void;
  onDeleted: (item: CredentialListItem) => void;
}) {
  return (
    <Modal
      opened={item !== undefined}
      onClose={onClose}
      title={item ? `Delete “${item.name}”?` : ''}
      data-testid="delete-modal"
    >
      {item ? <DeleteBody key={item.id} item={item} onClose={onClose} onDeleted={onDeleted} /> : null}
    </Modal>
  );
}

function DeleteBody({
  item,
  onClose,
  onDeleted,
}: {
  item: CredentialListItem;
  onClose: () => void;
  onDeleted: (item: CredentialListItem) => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const remove = () => {
    setBusy(true);
    api
      .call('credentials:delete', { id: item.id })
      .then(() => onDeleted(item))
      .catch((e: unknown) => setError(errorText(e)))
      .finally(() => setBusy(false));
  };

  return (
    <Stack gap="sm">
      <Text size="sm">
        The secret is deleted from the credential store and its entry from this list. This cannot be undone.
      </Text>
      {item.owner.serverName ? (
        <Text size="sm">{`The server “${item.owner.serverName}” will no longer re-open when the app starts. To stop using it, remove it on the Connections page instead, which also deletes this credential.`}</Text>
      ) : null}
      {error ? (
        <Alert color="red" data-testid="delete-error">
          {error}
        </Alert>
      ) : null}
      <Group justify="flex-end">
        <Button variant="default" onClick={onClose} data-autofocus>
          Cancel
        </Button>
        <Button
          color="red"
          onClick={remove}
          loading={busy}
          leftSection={<IconTrash size={16} />}
          data-testid="delete-confirm"
        >
          Delete
        </Button>
      </Group>
    </Stack>
  );
}
