/**
 * Assistants (MCP): the local endpoint (status, URL, token), configs to paste into Claude Desktop /
 * Claude Code / other clients, the policy for actions that change endpoints, the audit log of every
 * assistant call (live), and the approval dialog for actions waiting on the responder.
 */
import {
  ActionIcon,
  Alert,
  Badge,
  Button,
  Card,
  Code,
  CopyButton,
  Group,
  MultiSelect,
  NumberInput,
  SegmentedControl,
  Stack,
  Switch,
  Table,
  Tabs,
  Text,
  TextInput,
  Title,
  Tooltip,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconCheck,
  IconCopy,
  IconEye,
  IconEyeOff,
  IconPlugConnected,
  IconRefresh,
} from '@tabler/icons-react';
import { useState } from 'react';
import type { OutputOf } from '../../../../shared/contract';
import type { Contract } from '../../../../shared/contracts/index';
import type { McpPolicy, McpStatus } from '../../../../shared/contracts/mcp';
import { useApi } from '../../api/index';
import { useCall, useLoad } from '../../api/use-call';
import { TimeText } from '../../components/investigation/Time';
import { allowListChoices } from './allow-list';
import { useAuditLog, useMcpStatus } from './hooks';
import { ReadOnlyIdentitiesCard } from './ReadOnlyIdentitiesCard';
import { describeError } from '../../../../shared/errors';

function Copy({ value, label }: { value: string; label: string }) {
  return (
    <CopyButton value={value} timeout={1500}>
      {({ copied, copy }) => (
        <Tooltip label={copied ? 'Copied' : label}>
          <ActionIcon variant="subtle" onClick={copy} aria-label={label}>
            {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
          </ActionIcon>
        </Tooltip>
      )}
    </CopyButton>
  );
}

function EndpointCard({ mcp, onRotated }: { mcp: ReturnType<typeof useMcpStatus>; onRotated: () => void }) {
  const api = useApi();
  const { status, error, refresh, setStatus } = mcp;
  const tokenCall = useCall('mcp:token', {});
  const token = tokenCall.value?.token;
  const [shown, setShown] = useState(false);
  const [busy, setBusy] = useState(false);

  const toggle = (enabled: boolean) => {
    setBusy(true);
    api
      .call('mcp:setEnabled', { enabled })
      .then(setStatus)
      .catch((e: unknown) => {
        notifications.show({
          color: 'red',
          title: enabled ? 'The endpoint did not start' : 'The endpoint did not stop',
          message: describeError(e),
        });
        refresh();
      })
      .finally(() => setBusy(false));
  };

  const rotate = () => {
    setBusy(true);
    api
      .call('mcp:rotateToken', {})
      .then((t) => {
        tokenCall.set(t);
        onRotated();
        notifications.show({
          color: 'green',
          title: 'New token',
          message:
            'Update the assistants that use the HTTP endpoint. Sessions already open keep working until they end.',
        });
      })
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: 'The token was not rotated', message: describeError(e) }),
      )
      .finally(() => setBusy(false));
  };

  return (
    <Card withBorder>
      <Stack gap="sm">
        <Group justify="space-between">
          <Group gap="xs">
            <Text fw={600}>Local MCP endpoint</Text>
            {status ? (
              <Badge color={status.running ? 'green' : 'gray'} data-testid="mcp-status">
                {status.running ? 'running' : 'stopped'}
              </Badge>
            ) : null}
            {status?.running ? (
              <Text
                size="sm"
                c="dimmed"
              >{`${status.sessions} session${status.sessions === 1 ? '' : 's'} · ${status.pendingApprovals} waiting for approval`}</Text>
            ) : null}
          </Group>
          <Switch
            label="Serve over HTTP"
            checked={status?.running ?? false}
            disabled={!status || busy}
            onChange={(e) => toggle(e.currentTarget.checked)}
          />
        </Group>
        {error ? <Alert color="red">{error}</Alert> : null}
        {status?.error ? (
          <Alert color="red" title="The endpoint is not running">
            {status.error}
          </Alert>
        ) : null}
        <Group gap="xs" align="end">
          <TextInput
            label="URL (Streamable HTTP, this machine only)"
            value={status?.url ?? '—'}
            readOnly
            style={{ flex: 1 }}
            data-testid="mcp-url"
          />
          {status?.url ? <Copy value={status.url} label="Copy URL" /> : null}
        </Group>
        <Group gap="xs" align="end">
          <TextInput
            label="Bearer token"
            description={`Kept in: ${status?.tokenStore ?? '…'}`}
            value={token ? (shown ? token : '•'.repeat(24)) : '…'}
            readOnly
            style={{ flex: 1 }}
            styles={{ input: { fontFamily: 'monospace' } }}
            data-testid="mcp-token"
          />
          <Tooltip label={shown ? 'Hide' : 'Reveal'}>
            <ActionIcon
              variant="subtle"
              onClick={() => setShown((s) => !s)}
              aria-label={shown ? 'Hide token' : 'Reveal token'}
            >
              {shown ? <IconEyeOff size={16} /> : <IconEye size={16} />}
            </ActionIcon>
          </Tooltip>
          {token ? <Copy value={token} label="Copy token" /> : null}
          <Button variant="default" leftSection={<IconRefresh size={16} />} onClick={rotate} loading={busy}>
            Rotate
          </Button>
        </Group>
        {status ? (
          <Text size="xs" c="dimmed">
            Audit log: <Code>{status.auditLog}</Code>
            {status.approvalSocket ? (
              <>
                {' '}
                · approvals for stdio servers: <Code>{status.approvalSocket}</Code>
              </>
            ) : null}
          </Text>
        ) : null}
      </Stack>
    </Card>
  );
}

type SnippetId = 'claudeDesktop' | 'claudeCode' | 'genericHttp' | 'stdio';
type SnippetTest = OutputOf<Contract['mcp:testSnippet']>;

/** "Test this snippet": the exact command or endpoint, run as an assistant would; each handshake step. */
function SnippetTestButton(props: { transport: 'stdio' | 'http'; disabled: boolean; id: SnippetId }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<SnippetTest | null>(null);
  const [error, setError] = useState<string | null>(null);
  const run = () => {
    setBusy(true);
    setError(null);
    setResult(null);
    api
      .call('mcp:testSnippet', { transport: props.transport })
      .then(setResult, (e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };
  return (
    <Stack gap={4}>
      <Group>
        <Button
          size="xs"
          variant="default"
          leftSection={<IconPlugConnected size={14} />}
          loading={busy}
          disabled={props.disabled}
          onClick={run}
          data-testid={`snippet-test-${props.id}`}
        >
          Test this snippet
        </Button>
        {result ? (
          <Badge color={result.ok ? 'green' : 'red'} data-testid={`snippet-result-${props.id}`}>
            {result.ok ? 'works' : 'fails'}
          </Badge>
        ) : null}
      </Group>
      {error ? (
        <Text size="sm" c="red">
          {error}
        </Text>
      ) : null}
      {result ? (
        <Stack gap={2} data-testid={`snippet-steps-${props.id}`}>
          <Text size="xs" c="dimmed">
            Ran <Code>{result.ran}</Code>
          </Text>
          {result.steps.map((st, i) => (
            <Text key={i} size="sm" c={st.ok ? undefined : 'red'}>
              {st.ok ? '✓' : '✗'} {st.step}: {st.detail}
            </Text>
          ))}
          {result.stderr ? (
            <Code block c="red">
              {result.stderr}
            </Code>
          ) : null}
        </Stack>
      ) : null}
    </Stack>
  );
}

function SnippetsCard({ version }: { version: number }) {
  const api = useApi();
  // A rotated token changes the snippets: `version` asks again.
  const { value: snippets, error } = useLoad(`mcp:snippets:${version}`, () => api.call('mcp:snippets', {}), {
    keepPrevious: true,
  });
  const tabs: Array<{ id: SnippetId; label: string; where: string; transport: 'stdio' | 'http' }> = [
    {
      id: 'claudeDesktop',
      label: 'Claude Desktop',
      where:
        'Add to claude_desktop_config.json (Claude Desktop launches the stdio server; approvals come to this app).',
      transport: 'stdio',
    },
    {
      id: 'claudeCode',
      label: 'Claude Code',
      where: 'Run in a terminal (HTTP endpoint; the token is included).',
      transport: 'http',
    },
    {
      id: 'genericHttp',
      label: 'Other clients (HTTP)',
      where: 'For clients that take an mcpServers JSON with a URL and headers.',
      transport: 'http',
    },
    {
      id: 'stdio',
      label: 'Command (stdio)',
      where: 'For clients that launch a command.',
      transport: 'stdio',
    },
  ];
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Text fw={600}>Connect an assistant</Text>
        {error ? <Alert color="red">{error}</Alert> : null}
        {snippets?.tokenLifetime === 'session' ? (
          <Alert color="orange" data-testid="token-session-only" title="The token lasts until the app quits">
            No OS keychain answered, so the bearer token is kept in memory: the HTTP snippets work until this
            app quits, then the next run makes a new token. Settings → About says why no keychain is
            available.
          </Alert>
        ) : null}
        <Tabs defaultValue="claudeDesktop">
          <Tabs.List>
            {tabs.map((t) => (
              <Tabs.Tab key={t.id} value={t.id}>
                {t.label}
              </Tabs.Tab>
            ))}
          </Tabs.List>
          {tabs.map((t) => {
            const refused = t.transport === 'stdio' ? snippets?.stdioProblem : undefined;
            const warning = t.transport === 'http' ? snippets?.httpWarning : undefined;
            return (
              <Tabs.Panel key={t.id} value={t.id} pt="xs">
                <Stack gap={6}>
                  <Group justify="space-between">
                    <Text size="sm" c="dimmed">
                      {t.where}
                    </Text>
                    {snippets && !refused ? (
                      <Copy value={snippets[t.id]} label={`Copy ${t.label} config`} />
                    ) : null}
                  </Group>
                  {warning ? (
                    <Alert color="orange" data-testid={`snippet-warning-${t.id}`}>
                      {warning}
                    </Alert>
                  ) : null}
                  {refused ? (
                    <Alert
                      color="orange"
                      title="This snippet would not work now"
                      data-testid={`snippet-refused-${t.id}`}
                    >
                      {refused}
                    </Alert>
                  ) : (
                    <Code block data-testid={`snippet-${t.id}`}>
                      {snippets ? snippets[t.id] : '…'}
                    </Code>
                  )}
                  <SnippetTestButton
                    transport={t.transport}
                    disabled={!snippets || refused !== undefined}
                    id={t.id}
                  />
                </Stack>
              </Tabs.Panel>
            );
          })}
        </Tabs>
      </Stack>
    </Card>
  );
}

const MODES: Array<{ value: McpPolicy['mode']; label: string; help: string }> = [
  {
    value: 'read-only',
    label: 'Read-only',
    help: 'Assistants can read; every action that changes an endpoint is refused without asking.',
  },
  {
    value: 'ask',
    label: 'Ask (default)',
    help: 'Every action that changes an endpoint waits for your approval here.',
  },
  {
    value: 'allow-listed',
    label: 'Allow-list',
    help: 'The tools you list run without asking; every other action waits for your approval.',
  },
];

/** `tools`: which tools wait for approval, and which ask every time, as the core reports them (mcp:status). */
function PolicyCard({
  tools,
  notice,
}: {
  tools: Pick<McpStatus, 'gatedTools' | 'alwaysAskTools'>;
  notice?: string | undefined;
}) {
  const api = useApi();
  const policyCall = useCall('mcp:getPolicy', {});
  const policy = policyCall.value;
  const setPolicy = policyCall.set;
  const [busy, setBusy] = useState(false);
  // The notice the responder answered by saving a policy (the status catches up on its next poll).
  const [answered, setAnswered] = useState<string>();
  const refused = notice !== undefined && notice !== answered ? notice : undefined;
  const save = (next: McpPolicy) => {
    setBusy(true);
    api
      .call('mcp:setPolicy', next)
      .then((p) => {
        setPolicy(p);
        setAnswered(notice);
      })
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: 'The policy was not saved', message: describeError(e) }),
      )
      .finally(() => setBusy(false));
  };
  if (policyCall.error)
    return (
      <Alert color="red" title="The policy could not be read">
        {policyCall.error}
      </Alert>
    );
  if (!policy) return null;
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Text fw={600}>Policy for actions that change endpoints</Text>
        {refused ? (
          <Alert color="orange" data-testid="mcp-policy-refused">
            {refused} Choose the policy again here to sign a new one.
          </Alert>
        ) : null}
        <SegmentedControl
          data-testid="mcp-policy"
          value={policy.mode}
          disabled={busy}
          data={MODES.map((m) => ({ value: m.value, label: m.label }))}
          onChange={(mode) => save({ ...policy, mode })}
        />
        <Text size="sm" c="dimmed">
          {MODES.find((m) => m.value === policy.mode)?.help}
        </Text>
        {policy.mode === 'allow-listed' ? (
          <MultiSelect
            label="Tools that run without asking"
            data={allowListChoices(tools, policy.allowTools)}
            description={
              tools.alwaysAskTools.length
                ? `${tools.alwaysAskTools.join(', ')} always ask${tools.alwaysAskTools.length === 1 ? 's' : ''}, whatever this list says.`
                : undefined
            }
            value={policy.allowTools}
            onChange={(allowTools) => save({ ...policy, allowTools })}
            disabled={busy}
            searchable
            clearable
          />
        ) : null}
        <NumberInput
          label="Refuse when not answered within (seconds)"
          min={5}
          max={3600}
          value={policy.approvalTimeoutSeconds}
          disabled={busy}
          onBlur={(e) => {
            const n = Number(e.currentTarget.value);
            if (Number.isInteger(n) && n >= 5 && n <= 3600 && n !== policy.approvalTimeoutSeconds)
              save({ ...policy, approvalTimeoutSeconds: n });
          }}
          w={320}
        />
      </Stack>
    </Card>
  );
}

const OUTCOME_COLOR: Record<string, string> = {
  approved: 'green',
  'allowed-by-policy': 'teal',
  'not-required': 'gray',
  denied: 'red',
  timeout: 'orange',
  'forbidden-by-policy': 'red',
};

function AuditCard() {
  const { rows, total, live, error } = useAuditLog();
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Group justify="space-between">
          <Text fw={600}>Audit log</Text>
          <Group gap="xs">
            <Text size="sm" c="dimmed">
              {total} call{total === 1 ? '' : 's'}
            </Text>
            <Badge color={live ? 'green' : 'gray'} variant="dot">
              {live ? 'live' : 'not live'}
            </Badge>
          </Group>
        </Group>
        {error ? <Alert color="red">{error}</Alert> : null}
        {rows.length === 0 ? (
          <Text size="sm" c="dimmed">
            No assistant has called the endpoint yet. Every call (tool, resource or prompt) will appear here
            as it happens.
          </Text>
        ) : (
          <Table.ScrollContainer minWidth={800} maxHeight={480}>
            <Table striped highlightOnHover data-testid="mcp-audit">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Time</Table.Th>
                  <Table.Th>Assistant</Table.Th>
                  <Table.Th>Call</Table.Th>
                  <Table.Th>Arguments</Table.Th>
                  <Table.Th>Approval</Table.Th>
                  <Table.Th>Result</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {rows.map((r) => (
                  <Table.Tr key={r.key} data-testid="mcp-audit-row">
                    <Table.Td>
                      <Text size="xs">
                        <TimeText ms={Date.parse(r.time)} />
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Text size="xs">{r.client}</Text>
                    </Table.Td>
                    <Table.Td>
                      <Code>{r.name}</Code>
                      {r.readOnly ? (
                        <Text
                          size="xs"
                          c={r.readOnly.identity ? 'dimmed' : 'orange'}
                          title={r.readOnly.reason}
                        >
                          {r.readOnly.identity
                            ? `read-only as ${r.readOnly.identity}`
                            : 'read-only not enforced'}
                        </Text>
                      ) : null}
                    </Table.Td>
                    <Table.Td maw={320}>
                      <Text size="xs" ff="monospace" truncate="end" title={JSON.stringify(r.arguments)}>
                        {JSON.stringify(r.arguments)}
                      </Text>
                    </Table.Td>
                    <Table.Td>
                      <Badge size="sm" variant="light" color={OUTCOME_COLOR[r.approval] ?? 'gray'}>
                        {r.approval}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      {r.error ? (
                        <Text size="xs" c="red" title={r.error.message}>
                          {r.error.code}
                        </Text>
                      ) : (
                        <Text size="xs">{`${r.resultBytes} B · ${Math.round(r.durationMs)} ms`}</Text>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Stack>
    </Card>
  );
}

export function AssistantsPage() {
  const mcp = useMcpStatus();
  const [snippetVersion, setSnippetVersion] = useState(0);
  return (
    <Stack>
      <Title order={2}>Assistants (MCP)</Title>
      <Text c="dimmed" size="sm">
        AI assistants reach Velociraptor through this app&apos;s MCP endpoint. You see every call below, and
        every action that changes an endpoint waits for your approval.
      </Text>
      <EndpointCard mcp={mcp} onRotated={() => setSnippetVersion((v) => v + 1)} />
      <SnippetsCard version={snippetVersion} />
      <PolicyCard
        tools={{
          gatedTools: mcp.status?.gatedTools ?? [],
          alwaysAskTools: mcp.status?.alwaysAskTools ?? [],
        }}
        notice={mcp.status?.policyNotice}
      />
      <ReadOnlyIdentitiesCard />
      <AuditCard />
    </Stack>
  );
}
