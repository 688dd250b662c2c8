import { Alert, Button, Code, Stack } from '@mantine/core';
import { IconAlertTriangle } from '@tabler/icons-react';
import { Component, type ErrorInfo, type ReactNode } from 'react';
import { asError } from '../../../shared/errors';

interface State {
  error: Error | undefined;
}

/**
 * Keeps one broken page from blanking the whole window: shows what failed and lets the responder
 * try again. Keyed by area in the shell, so navigating away resets it.
 */
export class ErrorBoundary extends Component<{ children: ReactNode }, State> {
  override state: State = { error: undefined };

  static getDerivedStateFromError(error: unknown): State {
    return { error: asError(error) };
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error('Megaraptor: a view failed to render', error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <Alert color="red" icon={<IconAlertTriangle />} title="This view failed" data-testid="error-boundary">
        <Stack gap="sm">
          <Code block>{this.state.error.message}</Code>
          <Button
            variant="light"
            color="red"
            w="fit-content"
            onClick={() => this.setState({ error: undefined })}
          >
            Try again
          </Button>
        </Stack>
      </Alert>
    );
  }
}
