/**
 * Credentials: where secrets are kept (keychain status, or the file vault as the responder's
 * explicit choice), the paginated list of what is stored (from the metadata index; no secret is read
 * to draw it), reveal with confirmation, delete with confirmation, and repair (dry run first).
 * Times follow the app's one time rule (components/investigation/time.ts).
 */
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Group,
  Pagination,
  Stack,
  Switch,
  Table,
  Text,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconEye, IconKey, IconRefresh, IconStethoscope, IconTrash } from '@tabler/icons-react';
import { useState } from 'react';
import type { CredentialListItem, RepairReport } from '../../../../shared/contracts/credentials';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';
import { AreaEmptyState } from '../../app/AreaEmptyState';
import { navigate } from '../../app/router';
import { TimeText } from '../../components/investigation/Time';
import {
  canReveal,
  clampPage,
  expiryBadge,
  kindLabel,
  ownerLabel,
  shortFingerprint,
} from './credential-view';
import { RepairPanel } from './RepairPanel';
import { SecretModal } from './SecretModals';
import { StatusBanner } from './StatusBanner';
import { describeError } from '../../../../shared/errors';

const PAGE_SIZE = 20;

function ExpiryCell({ item, now }: { item: CredentialListItem; now: Date }) {
  const badge = expiryBadge(item, now);
  return (
    <Group gap={6} wrap="nowrap">
      <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
        {item.expiresAt === null ? 'never' : <TimeText ms={Date.parse(item.expiresAt)} />}
      </Text>
      {badge ? (
        <Tooltip label={`${badge.label === 'expired' ? 'Expired' : 'Expires'} ${badge.when}`}>
          <Badge color={badge.color} variant="light" data-testid="expiry-badge">
            {badge.label}
          </Badge>
        </Tooltip>
      ) : null}
    </Group>
  );
}

function CredentialRow({
  item,
  now,
  onReveal,
  onDelete,
}: {
  item: CredentialListItem;
  now: Date;
  onReveal: () => void;
  onDelete: () => void;
}) {
  return (
    <Table.Tr
      data-testid={`credential-row-${item.id}`}
      data-kind={item.kind}
      data-server={item.owner.serverName ?? ''}
    >
      <Table.Td>
        <Text size="sm" fw={500}>
          {item.name}
        </Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{kindLabel(item.kind)}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm">{ownerLabel(item.owner)}</Text>
      </Table.Td>
      <Table.Td>
        <Text size="sm" style={{ whiteSpace: 'nowrap' }}>
          <TimeText ms={Date.parse(item.createdAt)} />
        </Text>
      </Table.Td>
      <Table.Td data-testid="credential-expires">
        <ExpiryCell item={item} now={now} />
      </Table.Td>
      <Table.Td>
        {item.fingerprint ? (
          <Tooltip label={`SHA-256 ${item.fingerprint}`} multiline maw={420}>
            <Text
              size="xs"
              ff="monospace"
              style={{ whiteSpace: 'nowrap' }}
              tabIndex={0}
              aria-label={`SHA-256 fingerprint ${item.fingerprint}`}
              data-testid="credential-fingerprint"
            >
              {shortFingerprint(item.fingerprint)}
            </Text>
          </Tooltip>
        ) : (
          <Text size="sm" c="dimmed">
            —
          </Text>
        )}
      </Table.Td>
      <Table.Td>
        <Group gap={4} wrap="nowrap" justify="flex-end">
          {canReveal(item.kind) ? (
            <Tooltip label="Reveal…">
              <ActionIcon
                variant="subtle"
                onClick={onReveal}
                aria-label={`Reveal ${item.name}`}
                data-testid="credential-reveal"
              >
                <IconEye size={16} />
              </ActionIcon>
            </Tooltip>
          ) : (
            <Tooltip label="A CA private key never leaves this machine">
              <ActionIcon variant="subtle" disabled aria-label={`${item.name} cannot be revealed`}>
                <IconEye size={16} />
              </ActionIcon>
            </Tooltip>
          )}
          <Tooltip label="Delete…">
            <ActionIcon
              variant="subtle"
              color="red"
              onClick={onDelete}
              aria-label={`Delete ${item.name}`}
              data-testid="credential-delete"
            >
              <IconTrash size={16} />
            </ActionIcon>
          </Tooltip>
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

export function CredentialsPage() {
  const api = useApi();
  const [page, setPage] = useState(1);
  const [onlyExpiring, setOnlyExpiring] = useState(false);
  const [revealing, setRevealing] = useState<CredentialListItem>();
  const [deleting, setDeleting] = useState<CredentialListItem>();
  const [repair, setRepair] = useState<RepairReport>();
  const [checking, setChecking] = useState(false);
  const [now, setNow] = useState(() => new Date());

  const statusCall = useCall('credentials:status', {});
  const status = statusCall.value;
  const statusError = statusCall.error ?? undefined;
  const setStatus = statusCall.set;
  // The page shown stays while the next one loads; a page past the end (after deletes) moves back.
  const listCall = useCall(
    'credentials:list',
    { page, pageSize: PAGE_SIZE, onlyExpiring },
    {
      keepPrevious: true,
      onValue: (l) => {
        setNow(new Date());
        const fixed = clampPage(page, l.total, PAGE_SIZE);
        if (fixed !== page) setPage(fixed);
      },
    },
  );
  const list = listCall.value;
  const listError = listCall.error ?? undefined;
  const refreshList = listCall.reload;

  const refresh = () => {
    statusCall.reload();
    listCall.reload();
  };

  const checkRepair = () => {
    setChecking(true);
    api
      .call('credentials:repair', { dryRun: true })
      .then(setRepair)
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: 'The check did not run', message: describeError(e) }),
      )
      .finally(() => setChecking(false));
  };

  const onDeleted = (item: CredentialListItem) => {
    setDeleting(undefined);
    notifications.show({
      color: 'green',
      title: 'Credential deleted',
      message: `“${item.name}” and its secret are gone.`,
    });
    refresh();
  };

  const storeReady = status?.available === true;
  const items = list?.items ?? [];
  const pages = list ? Math.max(1, Math.ceil(list.total / PAGE_SIZE)) : 1;

  return (
    <Stack gap="md" data-testid="credentials-page">
      <Group justify="space-between">
        <Title order={2}>Credentials</Title>
        <Group gap="xs">
          <Button
            variant="default"
            leftSection={<IconRefresh size={16} />}
            onClick={refresh}
            data-testid="credentials-refresh"
          >
            Refresh
          </Button>
          <Button
            variant="default"
            leftSection={<IconStethoscope size={16} />}
            onClick={checkRepair}
            loading={checking}
            disabled={!storeReady}
            data-testid="repair-check"
          >
            Check for problems
          </Button>
        </Group>
      </Group>

      <StatusBanner
        status={status}
        error={statusError}
        onStatus={(s) => {
          setStatus(s);
          refreshList();
        }}
      />

      {repair ? (
        <RepairPanel
          report={repair}
          onReport={setRepair}
          onClose={() => setRepair(undefined)}
          onApplied={refresh}
        />
      ) : null}

      {listError ? (
        <Alert color="red" title="The list could not be read" data-testid="credentials-list-error">
          {listError}
        </Alert>
      ) : null}

      {list && list.total === 0 && !onlyExpiring ? (
        <AreaEmptyState icon={<IconKey size={28} />} title="No stored credentials yet">
          <Stack gap="xs" align="center">
            <span>
              Credentials appear here when you import a server connection and keep it in the keychain, or when
              a deployment creates certificates and passwords. Only names, kinds, owners, dates and
              fingerprints are listed; the secrets stay in the store.
            </span>
            <Group gap="xs" justify="center">
              <Button
                variant="light"
                onClick={() => navigate('/connections')}
                data-testid="empty-go-connections"
              >
                Import a connection
              </Button>
              <Button variant="default" onClick={() => navigate('/deployments')}>
                Deploy a server
              </Button>
            </Group>
          </Stack>
        </AreaEmptyState>
      ) : (
        <Stack gap="xs">
          <Group justify="space-between">
            <Text size="sm" c="dimmed" data-testid="credentials-total">
              {list
                ? `${list.total} credential${list.total === 1 ? '' : 's'}${list.expiringCount ? ` · ${list.expiringCount} expired or expiring within 30 days` : ''}`
                : 'Loading…'}
            </Text>
            <Switch
              label="Only expired or expiring"
              checked={onlyExpiring}
              onChange={(e) => {
                setOnlyExpiring(e.currentTarget.checked);
                setPage(1);
              }}
              data-testid="only-expiring"
            />
          </Group>
          <Table.ScrollContainer minWidth={900}>
            <Table striped highlightOnHover verticalSpacing="xs" data-testid="credentials-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Kind</Table.Th>
                  <Table.Th>Belongs to</Table.Th>
                  <Table.Th>Created (UTC)</Table.Th>
                  <Table.Th>Expires (UTC)</Table.Th>
                  <Table.Th>Fingerprint</Table.Th>
                  <Table.Th>
                    <span style={{ position: 'absolute', left: -9999 }}>Actions</span>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((item) => (
                  <CredentialRow
                    key={item.id}
                    item={item}
                    now={now}
                    onReveal={() => setRevealing(item)}
                    onDelete={() => setDeleting(item)}
                  />
                ))}
                {list && items.length === 0 ? (
                  <Table.Tr>
                    <Table.Td colSpan={7}>
                      <Text size="sm" c="dimmed">
                        Nothing is expired or expiring within 30 days.
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ) : null}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          {pages > 1 ? (
            <Group justify="center">
              <Pagination
                total={pages}
                value={page}
                onChange={setPage}
                getControlProps={(control) => ({ 'aria-label': `${control} page` })}
                data-testid="credentials-pagination"
              />
            </Group>
          ) : null}
        </Stack>
      )}

      <SecretModal action="reveal" item={revealing} onClose={() => setRevealing(undefined)} />
      <SecretModal
        action="delete"
        item={deleting}
        onClose={() => setDeleting(undefined)}
        onDone={onDeleted}
      />
    </Stack>
  );
}
