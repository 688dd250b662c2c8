/**
 * From "collect on many clients" to a hunt: a hunt picks its clients by label or OS, not by a list,
 * so the responder chooses how the selection becomes a scope — the search's own label, all
 * clients, or a fresh label put on exactly the selected clients (they are labelled first).
 */
import { Alert, Button, Radio, Stack, Text, TextInput, Modal, Group } from '@mantine/core';
import { useState } from 'react';
import { LabelName } from '../../../../shared/contracts/clients';
import type { Target } from '../../../../shared/contracts/connections';
import type { HuntScope } from '../../../../shared/contracts/hunts';
import { useApi } from '../../api/index';
import { describeError } from '../../../../shared/errors';

/** The label a search like `label:Finance` selects, when the selection is every match of it. */
export function labelOfSearch(query: string): string | null {
  const m = /^label:([^*\s]+)$/i.exec(query.trim());
  return m?.[1] && m[1].toLowerCase() !== 'none' ? m[1] : null;
}

function defaultLabel(now = new Date()): string {
  const iso = now.toISOString(); // UTC, as everywhere in the app
  return `hunt-${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 16).replace(':', '')}`;
}

export function HuntScopeModal(props: {
  target: Target;
  clientIds: string[];
  /** The search and whether the selection is every client it matches. */
  query: string;
  allMatching: boolean;
  opened: boolean;
  onClose: () => void;
  onScope: (scope: HuntScope, why: string) => void;
}) {
  const api = useApi();
  const searchLabel = props.allMatching ? labelOfSearch(props.query) : null;
  const everything = props.allMatching && ['', 'all'].includes(props.query.trim().toLowerCase());
  const [choice, setChoice] = useState<'search' | 'all' | 'label'>(
    searchLabel ? 'search' : everything ? 'all' : 'label',
  );
  const [label, setLabel] = useState(defaultLabel);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const valid = LabelName.safeParse(label);
  const n = props.clientIds.length;
  const empty: HuntScope = { includeLabels: [], excludeLabels: [], os: '' };

  const next = () => {
    if (choice === 'search' && searchLabel)
      return props.onScope({ ...empty, includeLabels: [searchLabel] }, `clients labelled ${searchLabel}`);
    if (choice === 'all') return props.onScope(empty, 'all clients');
    setBusy(true);
    setError(null);
    api
      .call('clients:labelMany', {
        target: props.target,
        clientIds: props.clientIds,
        labels: [label],
        op: 'add',
      })
      .then((r) => {
        const failed = r.results.filter((x) => !x.ok);
        if (failed.length === r.results.length)
          throw new Error(`No client could be labelled: ${failed[0]?.message ?? 'no reason given'}`);
        props.onScope(
          { ...empty, includeLabels: [label.trim()] },
          `${n - failed.length} selected clients (label ${label.trim()})${failed.length ? `; ${failed.length} could not be labelled` : ''}`,
        );
      })
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };

  return (
    <Modal opened={props.opened} onClose={props.onClose} size="lg" title="Create a hunt for these clients">
      <Stack data-testid="hunt-scope">
        <Text size="sm">
          A hunt chooses clients by label or operating system. How should it reach the {n} selected clients?
        </Text>
        <Radio.Group
          value={choice}
          onChange={(v) => setChoice(v === 'search' ? 'search' : v === 'all' ? 'all' : 'label')}
        >
          <Stack gap="xs">
            {searchLabel ? (
              <Radio
                value="search"
                label={`Every client labelled “${searchLabel}” (the ${n} now, and any labelled later)`}
                data-testid="hunt-scope-search"
              />
            ) : null}
            {everything ? (
              <Radio
                value="all"
                label="Every client of this server (including ones that enrol later)"
                data-testid="hunt-scope-all"
              />
            ) : null}
            <Radio
              value="label"
              label={`Label exactly the ${n} selected clients and hunt that label`}
              data-testid="hunt-scope-label"
            />
          </Stack>
        </Radio.Group>
        {choice === 'label' ? (
          <TextInput
            label="Label to add"
            description="Added to the selected clients now; the hunt includes clients with this label."
            value={label}
            onChange={(e) => setLabel(e.currentTarget.value)}
            error={valid.success ? undefined : valid.error.issues[0]?.message}
            data-testid="hunt-scope-label-name"
          />
        ) : null}
        {error ? <Alert color="red">{error}</Alert> : null}
        <Group justify="flex-end">
          <Button variant="default" onClick={props.onClose}>
            Cancel
          </Button>
          <Button
            loading={busy}
            disabled={choice === 'label' && !valid.success}
            onClick={next}
            data-testid="hunt-scope-next"
          >
            {choice === 'label' ? `Label ${n} clients and open the hunt wizard` : 'Open the hunt wizard'}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
