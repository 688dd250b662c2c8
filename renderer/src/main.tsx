import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import { Alert, Center, localStorageColorSchemeManager, MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { isAppError } from '../../shared/errors';
import { ApiContext, connect, type ApiClient } from './api/index';
import { App } from './app/App';
import { ErrorBoundary } from './app/ErrorBoundary';
import { theme } from './app/theme';

/** The per-load CSP nonce, which Vite stamps on <meta property="csp-nonce"> (see index.html). */
function styleNonce(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[property="csp-nonce"]');
  return meta?.nonce ?? '';
}

const root = document.getElementById('root')!;
let api: ApiClient | undefined;
let startError: string | undefined;
try {
  api = connect(window);
} catch (e) {
  startError = isAppError(e) ? e.message : String(e);
  root.dataset.appState = 'error';
}

createRoot(root).render(
  <StrictMode>
    <MantineProvider
      theme={theme}
      defaultColorScheme="auto"
      colorSchemeManager={localStorageColorSchemeManager({ key: 'megaraptor-color-scheme' })}
      getStyleNonce={styleNonce}
    >
      <Notifications position="bottom-right" />
      <ErrorBoundary>
        {api ? (
          <ApiContext.Provider value={api}>
            <App root={root} />
          </ApiContext.Provider>
        ) : (
          <Center h="100vh" p="xl">
            <Alert color="red" title="Cannot reach the app core" maw={640} data-testid="core-unreachable">
              {startError}
            </Alert>
          </Center>
        )}
      </ErrorBoundary>
    </MantineProvider>
  </StrictMode>,
);
