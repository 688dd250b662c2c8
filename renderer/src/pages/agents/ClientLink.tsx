/**
 * A link to a client (or one of its flows) on a given server: that server becomes the active one, then
 * the Clients page opens on the client. Used where the Agents page names clients it found or made.
 */
import { Anchor } from '@mantine/core';
import type { ReactNode } from 'react';
import type { Target } from '../../../../shared/contracts/connections';
import { describeError } from '../../../../shared/errors';
import { notifications } from '@mantine/notifications';
import { useApi } from '../../api/index';
import { go } from '../../app/router';
import { selectTarget } from '../../components/investigation/target-store';

export function ClientLink({
  target,
  clientId,
  flowId,
  children,
  testId,
}: {
  target: Target;
  clientId: string;
  flowId?: string;
  children: ReactNode;
  testId?: string;
}) {
  const api = useApi();
  const open = () =>
    selectTarget(api, target)
      .then(() =>
        go('/clients', flowId ? { client: clientId, tab: 'flows', flow: flowId } : { client: clientId }),
      )
      .catch((e: unknown) =>
        notifications.show({ color: 'red', title: 'Cannot open the client', message: describeError(e) }),
      );
  return (
    <Anchor
      component="button"
      type="button"
      onClick={() => void open()}
      data-testid={testId}
      ff="monospace"
      size="sm"
    >
      {children}
    </Anchor>
  );
}
