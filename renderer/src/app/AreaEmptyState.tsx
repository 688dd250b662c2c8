import { EmptyState, Text } from '@mantine/core';
import type { ReactNode } from 'react';

/** What an area shows before it has anything: what will appear here and how it gets there. */
export function AreaEmptyState(props: { icon: ReactNode; title: string; children: ReactNode }) {
  return (
    <EmptyState
      mt="xl"
      icon={props.icon}
      title={props.title}
      data-testid="area-empty-state"
      description={<Text c="dimmed">{props.children}</Text>}
    />
  );
}
