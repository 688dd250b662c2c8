import { Loader } from '@mantine/core';
import { lazy, Suspense } from 'react';
import { applyStyleNonce } from './csp-styles';
import type { CompletionItem } from '../../../shared/contracts/vql';
import type { VqlEditorProps } from './VqlEditor';

// The nonce patch must be in place before Monaco's modules evaluate and insert their styles.
const Editor = lazy(() => {
  applyStyleNonce();
  return import('./VqlEditor');
});

/** Also exposes the completion setter without pulling Monaco into the caller's chunk. */
export async function loadCompletionSetter(): Promise<(items: CompletionItem[]) => void> {
  applyStyleNonce();
  const m = await import('./monaco-vql');
  return m.setCompletionItems;
}

export function LazyVqlEditor(props: VqlEditorProps) {
  return (
    <Suspense fallback={<Loader size="sm" aria-label="Loading the VQL editor" />}>
      <Editor {...props} />
    </Suspense>
  );
}
