/**
 * Adds or removes labels on the selected clients. Labels are checked against what Velociraptor's
 * label() accepts before anything is sent; the outcome is shown per client (labels after the
 * change, or why that client was not changed).
 */
import { Alert, Badge, Button, Group, Modal, SegmentedControl, Table, TagsInput, Text } from '@mantine/core';
import { useState } from 'react';
import { LabelName, type LabelOutcome } from '../../../../shared/contracts/clients';
import type { Target } from '../../../../shared/contracts/connections';
import { useApi } from '../../api/index';
import { describeError } from '../../../../shared/errors';

export function BulkLabelModal(props: {
  target: Target;
  clientIds: string[];
  names: ReadonlyMap<string, string>;
  /** Labels seen in the search results, offered as suggestions. */
  known: string[];
  opened: boolean;
  onClose: () => void;
  /** Called after the server answered (even with per-client failures), so the list can refresh. */
  onDone: () => void;
}) {
  const api = useApi();
  const [op, setOp] = useState<'add' | 'remove'>('add');
  const [labels, setLabels] = useState<string[]>([]);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [results, setResults] = useState<LabelOutcome[] | null>(null);
  const invalid = labels.map((l) => ({ l, r: LabelName.safeParse(l) })).find((x) => !x.r.success);
  const n = props.clientIds.length;

  const apply = () => {
    setBusy(true);
    setError(null);
    api
      .call('clients:labelMany', { target: props.target, clientIds: props.clientIds, labels, op })
      .then((r) => {
        setResults(r.results);
        props.onDone();
      })
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };
  const close = () => {
    setResults(null);
    setLabels([]);
    setError(null);
    props.onClose();
  };
  const ok = results?.filter((r) => r.ok).length ?? 0;
  return (
    <Modal
      opened={props.opened}
      onClose={close}
      size="lg"
      title={`Labels on ${n} client${n === 1 ? '' : 's'}`}
    >
      {results ? (
        <>
          <Alert color={ok === results.length ? 'green' : 'yellow'} mb="sm" data-testid="label-summary">
            {op === 'add' ? 'Added' : 'Removed'} {labels.join(', ')} on {ok} of {results.length} clients
            {ok < results.length ? `; ${results.length - ok} failed (reasons below)` : ''}.
          </Alert>
          <Table data-testid="label-results" verticalSpacing={2}>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Host</Table.Th>
                <Table.Th>Client</Table.Th>
                <Table.Th>Outcome</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {results.map((r) => (
                <Table.Tr key={r.clientId} data-testid={`label-outcome-${r.clientId}`} data-ok={r.ok}>
                  <Table.Td>{props.names.get(r.clientId) ?? ''}</Table.Td>
                  <Table.Td>
                    <code>{r.clientId}</code>
                  </Table.Td>
                  <Table.Td>
                    {r.ok ? (
                      <Group gap={4}>
                        {r.labels.length === 0 ? (
                          <Text size="sm" c="dimmed">
                            no labels
                          </Text>
                        ) : null}
                        {r.labels.map((l) => (
                          <Badge key={l} size="sm" variant="outline" style={{ textTransform: 'none' }}>
                            {l}
                          </Badge>
                        ))}
                      </Group>
                    ) : (
                      <Text size="sm" c="red">
                        {r.message}
                      </Text>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
          <Group justify="flex-end" mt="md">
            <Button onClick={close} data-testid="label-close">
              Close
            </Button>
          </Group>
        </>
      ) : (
        <>
          <SegmentedControl
            value={op}
            onChange={(v) => setOp(v === 'remove' ? 'remove' : 'add')}
            data={[
              { value: 'add', label: 'Add labels' },
              { value: 'remove', label: 'Remove labels' },
            ]}
            data-testid="label-op"
          />
          <div data-testid="label-input">
            <TagsInput
              mt="sm"
              label={op === 'add' ? 'Labels to add' : 'Labels to remove'}
              description="Type a label and press Enter. Labels are case-insensitive on the server; hunts and searches (label:…) use them."
              data={props.known}
              value={labels}
              onChange={setLabels}
              error={
                invalid
                  ? `“${invalid.l}”: ${invalid.r.error?.issues[0]?.message ?? 'not a valid label'}`
                  : undefined
              }
              data-autofocus
            />
          </div>
          {error ? (
            <Text c="red" mt="sm">
              {error}
            </Text>
          ) : null}
          <Group justify="flex-end" mt="md">
            <Button variant="default" onClick={close}>
              Cancel
            </Button>
            <Button
              loading={busy}
              disabled={labels.length === 0 || invalid !== undefined}
              onClick={apply}
              data-testid="label-apply"
            >
              {op === 'add' ? 'Add' : 'Remove'} on {n} client{n === 1 ? '' : 's'}
            </Button>
          </Group>
        </>
      )}
    </Modal>
  );
}
