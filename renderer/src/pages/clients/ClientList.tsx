/**
 * Client search with Velociraptor's syntax (the suggestions teach the prefixes), and actions on
 * many clients: select rows (checkboxes, Space on a focused row, the header box for the shown
 * rows, or every client the search matches), then collect on them, add/remove labels, or turn the
 * selection into a hunt. The selection, the search and the last launch's result survive a visit
 * to a client page.
 */
import {
  Alert,
  Autocomplete,
  Badge,
  Button,
  Checkbox,
  Group,
  Loader,
  Paper,
  Table,
  Text,
  UnstyledButton,
} from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import {
  IconArrowsSort,
  IconPlayerPlay,
  IconSearch,
  IconSortAscending,
  IconSortDescending,
  IconTags,
  IconX,
} from '@tabler/icons-react';
import { useEffect, useState, type KeyboardEvent } from 'react';
import { parseClientQuery, SEARCH_PREFIXES } from '../../../../shared/client-search';
import type { ClientSummary } from '../../../../shared/contracts/clients';
import type { Target } from '../../../../shared/contracts/connections';
import { messageOf } from '../../../../shared/errors';
import { useCall } from '../../api/use-call';
import { go } from '../../app/router';
import { CollectModal, type LaunchResult } from '../../components/collect/CollectModal';
import type { WizardDraft } from '../../components/collect/ParameterStep';
import { ago } from '../../components/investigation/time';
import { TimeText } from '../../components/investigation/Time';
import { HuntWizard, type HuntPrefill } from '../hunts/HuntWizard';
import { BulkLabelModal } from './BulkLabelModal';
import { sortClients, type ClientSort, type ClientSortKey } from './client-sort';
import { HuntScopeModal } from './HuntScopeModal';
import { LaunchResultPanel } from './LaunchResultPanel';

const SUGGESTIONS = [
  'all',
  'recent',
  'label:',
  'label:none',
  'host:',
  'os:windows',
  'os:linux',
  'os:darwin',
  'client:',
  'mac:',
  'ip:',
];
const SHOWN = 200;
const HOST_SUGGESTIONS = 8;

/** The query's own mistake (an unknown os:), said at the field instead of asking the server. */
function queryProblem(q: string): string | null {
  try {
    parseClientQuery(q);
    return null;
  } catch (e) {
    return messageOf(e);
  }
}

interface Remembered {
  query: string;
  selected: Map<string, string>;
  launch: { result: LaunchResult; artifacts: string[]; names: Map<string, string> } | null;
}
/** Per server + org, for this window's life: coming back from a client page finds the list as it was. */
const memory = new Map<string, Remembered>();
function remembered(key: string): Remembered {
  return memory.get(key) ?? { query: 'all', selected: new Map(), launch: null };
}
function remember(key: string, patch: Partial<Remembered>): void {
  memory.set(key, { ...remembered(key), ...patch });
}

export function ClientList(props: { target: Target }) {
  const key = `${props.target.server}|${props.target.org}`;
  const mem = remembered(key);
  const [q, setQ] = useState(mem.query);
  const [dq] = useDebouncedValue(q, 250);
  // The list stays while the next search loads (typing does not blank it).
  const search = useCall(
    'clients:search',
    { target: props.target, query: dq, limit: SHOWN },
    { keepPrevious: true },
  );
  // Ids of every match, for "select all matching" (light: no client records).
  const matchingCall = useCall('clients:matching', { target: props.target, query: dq, limit: 10_000 });
  const res = search.value ?? null;
  const error = search.error;
  const matching = matchingCall.value ? { query: dq, ...matchingCall.value } : null;
  const [selected, setSelectedState] = useState<Map<string, string>>(mem.selected);
  const [launch, setLaunchState] = useState(mem.launch);
  const [modal, setModal] = useState<'collect' | 'label' | 'scope' | 'hunt' | null>(null);
  const [draft, setDraft] = useState<WizardDraft | null>(null);
  const [prefill, setPrefill] = useState<HuntPrefill | null>(null);
  const busy = search.loading || q !== dq;
  const problem = queryProblem(q);
  const [sort, setSort] = useState<ClientSort | null>(null);
  const reloadAll = () => {
    search.reload();
    matchingCall.reload();
  };

  const setSelected = (next: Map<string, string>) => {
    remember(key, { selected: next });
    setSelectedState(next);
  };
  const setLaunch = (next: Remembered['launch']) => {
    remember(key, { launch: next });
    setLaunchState(next);
  };
  useEffect(() => remember(key, { query: q }), [key, q]);

  const shown = sortClients(res?.clients ?? [], sort);
  const labels = [...new Set(shown.flatMap((c) => c.labels))];
  // Host names complete from what the last search found (a bare word is a host-name prefix).
  const typed = q.trim().toLowerCase();
  const hosts =
    typed && !typed.includes(':')
      ? [...new Set(shown.map((c) => c.hostname))]
          .filter((h) => h.toLowerCase().startsWith(typed) && h.toLowerCase() !== typed)
          .slice(0, HOST_SUGGESTIONS)
      : [];
  const data = [
    ...hosts,
    ...[...SUGGESTIONS, ...labels.slice(0, 20).map((l) => `label:${l}`)].filter(
      (s) => s.startsWith(q) || q === '' || s.includes(q),
    ),
  ];
  const sortBy = (key: ClientSortKey) =>
    setSort((s) => (s?.key === key ? (s.dir === 1 ? { key, dir: -1 } : null) : { key, dir: 1 }));
  const header = (key: ClientSortKey, label: string) => {
    const on = sort?.key === key ? sort.dir : 0;
    const Icon = on === 1 ? IconSortAscending : on === -1 ? IconSortDescending : IconArrowsSort;
    return (
      <Table.Th aria-sort={on === 1 ? 'ascending' : on === -1 ? 'descending' : 'none'}>
        <UnstyledButton onClick={() => sortBy(key)} data-testid={`client-sort-${key}`}>
          <Group gap={4} wrap="nowrap">
            <Text size="sm" fw={700}>
              {label}
            </Text>
            <Icon size={14} aria-hidden />
          </Group>
        </UnstyledButton>
      </Table.Th>
    );
  };
  const isSelected = (id: string) => selected.has(id);
  const allShown = shown.length > 0 && shown.every((c) => isSelected(c.clientId));
  const someShown = shown.some((c) => isSelected(c.clientId));
  const current = matching && matching.query === dq ? matching : null;
  const allMatching =
    current !== null &&
    !current.more &&
    current.clients.length > 0 &&
    current.clients.length === selected.size &&
    current.clients.every((c) => selected.has(c.clientId));
  const elsewhere = [...selected.keys()].filter((id) => !shown.some((c) => c.clientId === id)).length;
  const ids = [...selected.keys()];

  const toggle = (c: ClientSummary) => {
    const next = new Map(selected);
    if (next.has(c.clientId)) next.delete(c.clientId);
    else next.set(c.clientId, c.hostname);
    setSelected(next);
  };
  const toggleShown = () => {
    const next = new Map(selected);
    for (const c of shown) {
      if (allShown) next.delete(c.clientId);
      else next.set(c.clientId, c.hostname);
    }
    setSelected(next);
  };
  const selectAllMatching = () => {
    if (!current) return;
    const next = new Map(selected);
    for (const c of current.clients) next.set(c.clientId, c.hostname);
    setSelected(next);
  };
  const rowKey = (e: KeyboardEvent<HTMLTableRowElement>, c: ClientSummary) => {
    if (e.target !== e.currentTarget) return; // keys on the row's checkbox are the checkbox's
    if (e.key === 'Enter') go('/clients', { client: c.clientId });
    // Arrow keys move through the rows (each row is one tab stop; its checkbox is reached by Space).
    const rows = [...(e.currentTarget.parentElement?.children ?? [])] as HTMLElement[];
    const at = rows.indexOf(e.currentTarget);
    const to =
      e.key === 'ArrowDown'
        ? at + 1
        : e.key === 'ArrowUp'
          ? at - 1
          : e.key === 'Home'
            ? 0
            : e.key === 'End'
              ? rows.length - 1
              : null;
    if (to !== null) {
      e.preventDefault();
      rows[Math.max(0, Math.min(rows.length - 1, to))]?.focus();
    }
    if (e.key === ' ') {
      e.preventDefault();
      toggle(c);
    }
  };

  return (
    <>
      <Group mb="sm">
        <div data-testid="client-search">
          <Autocomplete
            w={420}
            leftSection={busy ? <Loader size={14} /> : <IconSearch size={14} />}
            aria-label="Search clients"
            placeholder="hostname, label:web, host:dc*, client:C.1234, recent, all"
            data={[...new Set(data)]}
            value={q}
            onChange={setQ}
            error={problem}
          />
        </div>
        <Text size="sm" c="dimmed" data-testid="client-search-hint">
          A bare word or client id finds its client; * is a wildcard. Prefixes:{' '}
          {SEARCH_PREFIXES.map((p) => (
            <code key={p}>{p} </code>
          ))}
          · ↑↓ move, Space selects, Enter opens.
        </Text>
      </Group>
      {launch ? (
        <LaunchResultPanel
          target={props.target}
          result={launch.result}
          artifacts={launch.artifacts}
          names={launch.names}
          onDismiss={() => setLaunch(null)}
        />
      ) : null}
      {error && !problem ? (
        <Alert color="red" title="The server did not answer" data-testid="clients-error">
          {error}
          <Group mt="xs">
            <Button
              size="xs"
              variant="default"
              loading={search.loading}
              onClick={reloadAll}
              data-testid="clients-retry"
            >
              Retry
            </Button>
          </Group>
        </Alert>
      ) : null}
      {shown.length > 0 || selected.size > 0 ? (
        <Paper withBorder p="xs" my="xs" data-testid="selection-bar" aria-live="polite">
          <Group justify="space-between">
            <Group gap="xs">
              <Text size="sm" fw={600} data-testid="selection-count">
                {selected.size} selected
              </Text>
              {elsewhere > 0 ? (
                <Text size="sm" c="dimmed">
                  ({elsewhere} not in this view)
                </Text>
              ) : null}
              {current && current.clients.length > 0 && !allMatching ? (
                <Button
                  size="compact-sm"
                  variant="subtle"
                  onClick={selectAllMatching}
                  data-testid="select-all-matching"
                >
                  Select all {current.clients.length.toLocaleString()}
                  {current.more ? '+' : ''} matching “{dq || 'all'}”
                </Button>
              ) : null}
              {allMatching ? (
                <Text size="sm" c="dimmed" data-testid="all-matching-selected">
                  All {current.clients.length.toLocaleString()} clients matching “{dq || 'all'}” are selected.
                </Text>
              ) : null}
            </Group>
            <Group gap="xs">
              <Button
                size="xs"
                leftSection={<IconPlayerPlay size={14} />}
                disabled={selected.size === 0}
                onClick={() => setModal('collect')}
                data-testid="bulk-collect"
              >
                Collect on {selected.size} client{selected.size === 1 ? '' : 's'}…
              </Button>
              <Button
                size="xs"
                variant="default"
                leftSection={<IconTags size={14} />}
                disabled={selected.size === 0}
                onClick={() => setModal('label')}
                data-testid="bulk-label"
              >
                Labels…
              </Button>
              <Button
                size="xs"
                variant="subtle"
                leftSection={<IconX size={14} />}
                disabled={selected.size === 0}
                onClick={() => setSelected(new Map())}
                data-testid="bulk-clear"
              >
                Clear
              </Button>
            </Group>
          </Group>
        </Paper>
      ) : null}
      {res && res.clients.length === 0 && !problem ? (
        <Text c="dimmed" data-testid="no-clients">
          No client matches “{dq}”. Try <code>all</code>, a host name with <code>*</code>, or{' '}
          <code>label:</code>.
        </Text>
      ) : null}
      {shown.length > 0 ? (
        <Table highlightOnHover stickyHeader data-testid="client-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w={36}>
                <Checkbox
                  aria-label="Select all shown clients"
                  checked={allShown}
                  indeterminate={someShown && !allShown}
                  onChange={toggleShown}
                  data-testid="select-shown"
                />
              </Table.Th>
              {header('status', 'Status')}
              {header('host', 'Host')}
              {header('client', 'Client ID')}
              {header('os', 'OS')}
              <Table.Th>Labels</Table.Th>
              {header('seen', 'Last seen')}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((c) => (
              <Table.Tr
                key={c.clientId}
                tabIndex={0}
                style={{ cursor: 'pointer' }}
                aria-selected={isSelected(c.clientId)}
                bg={isSelected(c.clientId) ? 'var(--mantine-primary-color-light)' : undefined}
                data-testid={`client-row-${c.clientId}`}
                onClick={() => go('/clients', { client: c.clientId })}
                onKeyDown={(e) => rowKey(e, c)}
              >
                <Table.Td onClick={(e) => e.stopPropagation()}>
                  <Checkbox
                    aria-label={`Select ${c.hostname || c.clientId}`}
                    checked={isSelected(c.clientId)}
                    tabIndex={-1}
                    onChange={() => toggle(c)}
                    data-testid={`select-${c.clientId}`}
                  />
                </Table.Td>
                <Table.Td miw={96}>
                  <Badge
                    color={c.online ? 'green' : 'gray'}
                    variant={c.online ? 'filled' : 'light'}
                    style={{ overflow: 'visible' }}
                  >
                    {c.online ? 'online' : 'offline'}
                  </Badge>
                </Table.Td>
                <Table.Td>{c.hostname}</Table.Td>
                <Table.Td>
                  <code>{c.clientId}</code>
                </Table.Td>
                <Table.Td>
                  {c.os} {c.release}
                </Table.Td>
                <Table.Td>
                  <Group gap={4} data-testid="client-labels">
                    {c.labels.map((l) => (
                      <Badge key={l} size="sm" variant="outline" style={{ textTransform: 'none' }}>
                        {l}
                      </Badge>
                    ))}
                  </Group>
                </Table.Td>
                <Table.Td title={ago(c.lastSeenMs)}>
                  <TimeText ms={c.lastSeenMs} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
      {res?.more ? (
        <Text size="sm" c="dimmed">
          Showing the first {SHOWN} matches; refine the search to see others, or select all matching to act on
          every one.
        </Text>
      ) : null}

      <CollectModal
        target={props.target}
        clientIds={ids}
        names={selected}
        opened={modal === 'collect'}
        onClose={() => setModal(null)}
        onLaunched={(result, artifacts) => {
          setModal(null);
          setLaunch({ result, artifacts, names: new Map(selected) });
        }}
        onHuntInstead={(d) => {
          setDraft(d);
          setModal('scope');
        }}
      />
      <BulkLabelModal
        target={props.target}
        clientIds={ids}
        names={selected}
        known={labels}
        opened={modal === 'label'}
        onClose={() => setModal(null)}
        onDone={() => reloadAll()}
      />
      {modal === 'scope' && draft ? (
        <HuntScopeModal
          target={props.target}
          clientIds={ids}
          query={dq}
          allMatching={allMatching}
          opened
          onClose={() => setModal(null)}
          onScope={(scope, why) => {
            setPrefill({
              ...draft,
              scope,
              description: `${draft.artifacts.map((a) => a.name).join(', ')} on ${why}`,
            });
            reloadAll();
            setModal('hunt');
          }}
        />
      ) : null}
      {modal === 'hunt' && prefill ? (
        <HuntWizard
          target={props.target}
          opened
          initial={prefill}
          onClose={() => setModal(null)}
          onCreated={(id) => go('/hunts', { hunt: id })}
        />
      ) : null}
    </>
  );
}
