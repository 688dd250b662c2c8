import { Alert, Anchor, Center, Loader } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlugConnectedX } from '@tabler/icons-react';
import { useEffect } from 'react';
import { useCall } from '../api/use-call';
import { go } from './router';
import { AppInfoContext } from './app-info-context';
import { Shell } from './Shell';

/**
 * True the first time `what` asks during this core start (the notice is not repeated on every page
 * load or window of one app run); remembered in this browser's storage by the start time.
 */
function firstTimeThisStart(what: string, startedAt: string): boolean {
  const key = `megaraptor.notice.${what}`;
  try {
    if (globalThis.localStorage.getItem(key) === startedAt) return false;
    globalThis.localStorage.setItem(key, startedAt);
  } catch {
    // No storage: say it on this load.
  }
  return true;
}

/** The root element's data-app-state, which tests wait on. */
function markState(root: HTMLElement, state: 'ready' | 'error'): void {
  root.dataset.appState = state;
}

/**
 * Asks the core for `app:info` once; the answer proves the transport works end to end. The root
 * element's data-app-state goes loading → ready | error, which tests wait on.
 */
export function App(props: { root: HTMLElement }) {
  const { root } = props;
  const { value: info, error: failure } = useCall(
    'app:info',
    {},
    {
      onValue: (value) => {
        if (!value.keychain.available && firstTimeThisStart('keychain', value.startedAt)) {
          notifications.show({
            id: 'no-keychain',
            color: 'orange',
            title: 'No OS keychain',
            autoClose: 15_000,
            message: (
              <>
                Connections can be used for this session only, and secrets are not saved.{' '}
                <Anchor
                  component="button"
                  size="sm"
                  onClick={() => go('/settings')}
                  data-testid="keychain-notice-fix"
                >
                  Settings → About
                </Anchor>{' '}
                says why and what to do.
              </>
            ),
          });
        }
      },
    },
  );
  useEffect(() => {
    if (info) markState(root, 'ready');
    else if (failure) markState(root, 'error');
  }, [root, info, failure]);

  if (failure) {
    return (
      <Center h="100vh" p="xl">
        <Alert
          color="red"
          icon={<IconPlugConnectedX />}
          title="The app core did not answer"
          maw={640}
          data-testid="core-unreachable"
        >
          {failure}
        </Alert>
      </Center>
    );
  }
  if (!info) {
    return (
      <Center h="100vh">
        <Loader aria-label="Starting" />
      </Center>
    );
  }
  return (
    <AppInfoContext.Provider value={info}>
      <Shell />
    </AppInfoContext.Provider>
  );
}
