/**
 * The shell's alert for deployments that need the responder (unfinished after a crash, destroying
 * themselves within 24 h or 1 h, certificates expiring), shown above every page but Deployments,
 * which lists the same notices in full. Dismissing hides these notices until a new one arrives.
 * Test ids: `app-deployment-notices` (data-level), `app-deployment-notices-open`.
 */
import { Alert, Button, List, Stack, Text } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { useState } from 'react';
import { undismissed, type NoticeDigest } from './deployment-notices';
import { navigate } from './router';

const SHOWN = 4;

function titleOf(d: NoticeDigest): string {
  if (d.unfinished.length)
    return d.unfinished.length === 1
      ? 'A deployment was left unfinished when the app stopped'
      : `${d.unfinished.length} deployments were left unfinished when the app stopped`;
  if (d.destruction.length) return 'A deployment destroys itself soon';
  return 'Deployments need your attention';
}

export function DeploymentNoticesAlert({ digest }: { digest: NoticeDigest }) {
  const [dismissed, setDismissed] = useState<ReadonlySet<string>>(new Set());
  const shown = undismissed(digest.attention, dismissed);
  if (shown.length === 0) return null;
  return (
    <Alert
      mb="md"
      color={digest.level === 'critical' ? 'red' : 'orange'}
      icon={<IconAlertTriangle size={18} />}
      title={titleOf(digest)}
      withCloseButton
      closeButtonLabel="Dismiss until something new"
      onClose={() => setDismissed(new Set([...dismissed, ...shown.map((n) => n.key)]))}
      data-testid="app-deployment-notices"
      data-level={digest.level ?? undefined}
    >
      <Stack gap="xs">
        <List size="sm">
          {shown.slice(0, SHOWN).map((n) => (
            <List.Item key={n.key}>{n.message}</List.Item>
          ))}
        </List>
        {shown.length > SHOWN ? <Text size="sm" c="dimmed">{`and ${shown.length - SHOWN} more`}</Text> : null}
        <div>
          <Button
            size="xs"
            variant="light"
            color={digest.level === 'critical' ? 'red' : 'orange'}
            onClick={() => navigate('/deployments')}
            data-testid="app-deployment-notices-open"
          >
            {digest.unfinished.length ? 'Resume or clean up in Deployments' : 'Open Deployments'}
          </Button>
        </div>
      </Stack>
    </Alert>
  );
}
