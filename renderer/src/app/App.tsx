import { Alert, Center, Loader } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconPlugConnectedX } from '@tabler/icons-react';
import { useEffect, useState } from 'react';
import type { AppInfo } from '../../../shared/contracts/app';
import { isAppError } from '../../../shared/errors';
import { useApi } from '../api/index';
import { AppInfoContext } from './app-info-context';
import { Shell } from './Shell';

/**
 * Asks the core for `app:info` once; the answer proves the transport works end to end. The root
 * element's data-app-state goes loading → ready | error, which tests wait on.
 */
export function App(props: { root: HTMLElement }) {
  const api = useApi();
  const [info, setInfo] = useState<AppInfo>();
  const [failure, setFailure] = useState<string>();

  useEffect(() => {
    let live = true;
    api.call('app:info', {}).then(
      (value) => {
        if (!live) return;
        setInfo(value);
        props.root.dataset.appState = 'ready';
        if (!value.keychain.available) {
          notifications.show({
            color: 'orange',
            title: 'No OS keychain',
            message: 'Secrets cannot be saved until a keychain is available. Details under Settings.',
          });
        }
      },
      (e: unknown) => {
        if (!live) return;
        const message = isAppError(e) ? `${e.message} (${e.code})` : String(e);
        setFailure(message);
        props.root.dataset.appState = 'error';
      },
    );
    return () => {
      live = false;
    };
  }, [api, props.root]);

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
