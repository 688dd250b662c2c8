import { Alert, Center, Loader } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlugConnectedX } from '@tabler/icons-react';
import { useEffect } from 'react';
import { useCall } from '../api/use-call';
import { AppInfoContext } from './app-info-context';
import { Shell } from './Shell';

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
        if (!value.keychain.available) {
          notifications.show({
            color: 'orange',
            title: 'No OS keychain',
            message: 'Secrets cannot be saved until a keychain is available. Details under Settings.',
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
