/** Client search with Velociraptor's syntax; the suggestions teach the prefixes. */
import { Autocomplete, Badge, Group, Loader, Table, Text } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconSearch } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { ClientSummary } from '../../../../shared/contracts/clients';
import type { Target } from '../../../../shared/contracts/connections';
import { useApi } from '../../api/index';
import { go } from '../../app/router';
import { errorText } from '../../components/investigation/errors';
import { ago } from '../../components/investigation/time';
import { TimeText } from '../../components/investigation/Time';

const SUGGESTIONS = ['all', 'recent', 'label:', 'label:none', 'host:', 'client:', 'mac:', 'ip:'];

export function ClientList(props: { target: Target }) {
  const api = useApi();
  const [q, setQ] = useState('all');
  const [dq] = useDebouncedValue(q, 250);
  const [res, setRes] = useState<{ clients: ClientSummary[]; more: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadedFor, setLoadedFor] = useState<string | null>(null);
  const busy = loadedFor !== dq;
  useEffect(() => {
    let live = true;
    api
      .call('clients:search', { target: props.target, query: dq, limit: 200 })
      .then(
        (r) => live && (setRes(r), setError(null)),
        (e: unknown) => live && setError(errorText(e)),
      )
      .finally(() => live && setLoadedFor(dq));
    return () => {
      live = false;
    };
  }, [api, props.target, dq]);
  const labels = [...new Set(res?.clients.flatMap((c) => c.labels) ?? [])].slice(0, 20);
  const data = [...SUGGESTIONS, ...labels.map((l) => `label:${l}`)].filter(
    (s) => s.startsWith(q) || q === '' || s.includes(q),
  );
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
          />
        </div>
        <Text size="sm" c="dimmed">
          A bare word searches host names; * is a wildcard.
        </Text>
      </Group>
      {error ? <Text c="red">{error}</Text> : null}
      {res && res.clients.length === 0 ? (
        <Text c="dimmed" data-testid="no-clients">
          No client matches “{dq}”. Try <code>all</code>, a host name with <code>*</code>, or{' '}
          <code>label:</code>.
        </Text>
      ) : null}
      {res && res.clients.length > 0 ? (
        <Table highlightOnHover stickyHeader data-testid="client-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Status</Table.Th>
              <Table.Th>Host</Table.Th>
              <Table.Th>Client ID</Table.Th>
              <Table.Th>OS</Table.Th>
              <Table.Th>Labels</Table.Th>
              <Table.Th>Last seen</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {res.clients.map((c) => (
              <Table.Tr
                key={c.clientId}
                tabIndex={0}
                style={{ cursor: 'pointer' }}
                data-testid={`client-row-${c.clientId}`}
                onClick={() => go('/clients', { client: c.clientId })}
                onKeyDown={(e) => e.key === 'Enter' && go('/clients', { client: c.clientId })}
              >
                <Table.Td>
                  <Badge color={c.online ? 'green' : 'gray'} variant={c.online ? 'filled' : 'light'}>
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
                  <Group gap={4}>
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
          Showing the first 200 matches; refine the search to see others.
        </Text>
      ) : null}
    </>
  );
}
