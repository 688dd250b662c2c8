/**
 * "Are these hosts enrolled?": host names (exact) or client ids checked against a server's clients —
 * enrolled (since when, last seen, a link to the client), not yet, or unknown (with why). Stand-alone
 * on the Agents page's Enrolment tab, and showing the check a push's row ran (its server and hosts,
 * client ids where the push learned them), to run again.
 * Test ids: `enrol-server`, `enrol-hosts`, `enrol-run`, `enrol-results`, `enrol-row-<query>`
 * (data-status), `enrol-client-<id>`, `enrol-error`.
 */
import { Alert, Badge, Button, Group, Select, Stack, Table, Text, Textarea } from '@mantine/core';
import { useState } from 'react';
import type { EnrollmentCheck as Checked } from '../../../../shared/contracts/agents';
import type { Target } from '../../../../shared/contracts/connections';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';
import { useCall } from '../../api/use-call';
import { TimeText } from '../../components/investigation/Time';
import { ClientLink } from './ClientLink';

/** A check made elsewhere on the page (a push's row): shown here, its server and hosts filled in. */
export interface CheckDone {
  key: number;
  target: Target;
  hosts: string[];
  results: Checked[];
}

const STATUS_COLOR: Record<Checked['status'], string> = {
  enrolled: 'green',
  'not-yet': 'gray',
  unknown: 'orange',
};
const STATUS_WORDS: Record<Checked['status'], string> = {
  enrolled: 'enrolled',
  'not-yet': 'not yet',
  unknown: 'unknown',
};

/** One host per line, or separated by commas or spaces; duplicates dropped, order kept. */
export function hostQueries(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,;]+/)
        .map((h) => h.trim())
        .filter(Boolean),
    ),
  ];
}

/** Each client's moment (the app's one time rule and zone), or a dash. */
function Moments({ times }: { times: Array<string | undefined> }) {
  const known = times.filter((t): t is string => !!t && Number.isFinite(Date.parse(t)));
  if (!known.length) return <Text size="xs">—</Text>;
  return (
    <Stack gap={0}>
      {known.map((t, i) => (
        <Text size="xs" key={i}>
          <TimeText ms={Date.parse(t)} />
        </Text>
      ))}
    </Stack>
  );
}

/** Give it `key={done?.key}`: a new check from a row starts it afresh with that check's values. */
export function EnrollmentCheck({ done }: { done?: CheckDone | undefined }) {
  const api = useApi();
  const connections = useCall('connections:list', {});
  const servers = connections.value?.connections.map((c) => c.name) ?? [];
  const [server, setServer] = useState<string | null>(done?.target.server ?? null);
  const [org, setOrg] = useState(done?.target.org ?? '');
  const [text, setText] = useState(done?.hosts.join('\n') ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [results, setResults] = useState<{ target: Target; hosts: Checked[] } | undefined>(
    done ? { target: done.target, hosts: done.results } : undefined,
  );
  const hosts = hostQueries(text);

  const check = (target: Target, queries: string[]) => {
    setBusy(true);
    setError(undefined);
    api
      .call('agents:check-enrollment', { target, hosts: queries.slice(0, 500) })
      .then((r) => setResults({ target, hosts: r.hosts }))
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };

  return (
    <Stack>
      <Group align="flex-end">
        <Select
          w={320}
          label="Server"
          data={servers}
          value={server}
          onChange={(v) => {
            setServer(v);
            setOrg('');
          }}
          placeholder={servers.length ? 'Choose' : 'No server connected'}
          data-testid="enrol-server"
        />
        <Button
          disabled={!server || hosts.length === 0 || hosts.length > 500}
          loading={busy}
          onClick={() => server && check({ server, org }, hosts)}
          data-testid="enrol-run"
        >
          Check {hosts.length || ''} host{hosts.length === 1 ? '' : 's'}
        </Button>
      </Group>
      <Textarea
        label="Host names (exact) or client ids, one a line"
        autosize
        minRows={3}
        maxRows={10}
        value={text}
        onChange={(e) => setText(e.currentTarget.value)}
        error={hosts.length > 500 ? 'At most 500 hosts at once.' : undefined}
        data-testid="enrol-hosts"
      />
      {error ? (
        <Alert color="red" data-testid="enrol-error">
          {error}
        </Alert>
      ) : null}
      {results ? (
        <Stack gap={4}>
          <Text size="sm" data-testid="enrol-summary">
            {results.hosts.filter((h) => h.status === 'enrolled').length} of {results.hosts.length} enrolled
            with {results.target.server}
          </Text>
          <Table withTableBorder striped data-testid="enrol-results">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Host</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Client</Table.Th>
                <Table.Th>Enrolled since</Table.Th>
                <Table.Th>Last seen</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {results.hosts.map((h) => (
                <Table.Tr key={h.query} data-testid={`enrol-row-${h.query}`} data-status={h.status}>
                  <Table.Td>{h.query}</Table.Td>
                  <Table.Td>
                    <Badge color={STATUS_COLOR[h.status]} variant="light">
                      {STATUS_WORDS[h.status]}
                    </Badge>
                    {h.reason ? (
                      <Text size="xs" c="dimmed">
                        {h.reason}
                      </Text>
                    ) : null}
                  </Table.Td>
                  <Table.Td>
                    <Stack gap={0}>
                      {h.clients.map((c) => (
                        <Group key={c.clientId} gap={4}>
                          <ClientLink
                            target={results.target}
                            clientId={c.clientId}
                            testId={`enrol-client-${c.clientId}`}
                          >
                            {c.clientId}
                          </ClientLink>
                          <Text size="xs" c={c.online ? 'green' : 'dimmed'}>
                            {c.online ? 'online' : 'offline'}
                          </Text>
                        </Group>
                      ))}
                    </Stack>
                  </Table.Td>
                  <Table.Td>
                    <Moments times={h.clients.map((c) => c.firstSeen)} />
                  </Table.Td>
                  <Table.Td>
                    <Moments times={h.clients.map((c) => c.lastSeen)} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Stack>
      ) : null}
    </Stack>
  );
}
