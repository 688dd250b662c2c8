/**
 * Repair in two steps: a dry run lists what is out of step between the index and the store (and
 * damaged index copies kept aside); only then can the responder apply it.
 */
import { Alert, Button, Card, Code, Group, List, Stack, Text } from '@mantine/core';
import { IconTool, IconX } from '@tabler/icons-react';
import { useState } from 'react';
import type { RepairReport } from '../../../../shared/contracts/credentials';
import { useApi } from '../../api/index';
import { findingText } from './credential-view';
import { describeError } from '../../../../shared/errors';

export function RepairPanel({
  report,
  onReport,
  onClose,
  onApplied,
}: {
  report: RepairReport;
  onReport: (r: RepairReport) => void;
  onClose: () => void;
  onApplied: () => void;
}) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const apply = () => {
    setBusy(true);
    setError(undefined);
    api
      .call('credentials:repair', { dryRun: false })
      .then((r) => {
        onReport(r);
        onApplied();
      })
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };

  const n = report.findings.length;
  return (
    <Card withBorder data-testid="repair-report" data-dry-run={report.dryRun} data-findings={n}>
      <Stack gap="sm">
        <Group justify="space-between">
          <Text fw={600}>
            {report.dryRun ? 'Repair — dry run (nothing changed yet)' : 'Repair — applied'}
          </Text>
          <Button
            variant="subtle"
            size="compact-sm"
            leftSection={<IconX size={14} />}
            onClick={onClose}
            aria-label="Close the repair report"
          >
            Close
          </Button>
        </Group>
        {n === 0 ? (
          <Text size="sm" data-testid="repair-clean">
            {report.dryRun
              ? 'Nothing to repair: every listed credential has its secret, and every stored secret is listed.'
              : 'Nothing was left to repair.'}
          </Text>
        ) : (
          <>
            <Text size="sm">{`${n} finding${n === 1 ? '' : 's'}${report.dryRun ? '. This is what repair would do:' : ':'}`}</Text>
            <List size="sm" spacing={4}>
              {report.findings.map((f) => (
                <List.Item
                  key={`${f.kind}:${f.id}`}
                  data-testid={`repair-finding-${f.id}`}
                  data-kind={f.kind}
                >
                  {findingText(f, report.dryRun)}
                </List.Item>
              ))}
            </List>
          </>
        )}
        {report.quarantined.length ? (
          <Stack gap={2}>
            <Text size="sm">Damaged index copies kept aside (repair never deletes them):</Text>
            {report.quarantined.map((q) => (
              <Code key={q}>{q}</Code>
            ))}
          </Stack>
        ) : null}
        {error ? <Alert color="red">{error}</Alert> : null}
        {report.dryRun && n > 0 ? (
          <Group>
            <Button
              leftSection={<IconTool size={16} />}
              onClick={apply}
              loading={busy}
              data-testid="repair-apply"
            >
              {`Apply ${n} fix${n === 1 ? '' : 'es'}`}
            </Button>
          </Group>
        ) : null}
      </Stack>
    </Card>
  );
}
