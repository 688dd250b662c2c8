import { Typography } from '@mantine/core';
import { useMemo } from 'react';
import { renderMarkdown } from './sanitize';

/** Markdown rendered through the sanitizer; the only place this app sets inner HTML. */
export function SafeMarkdown(props: { source: string; testId?: string }) {
  const html = useMemo(() => renderMarkdown(props.source), [props.source]);
  // The HTML was sanitized by DOMPurify in renderMarkdown.
  return (
    <Typography data-testid={props.testId}>
      <div dangerouslySetInnerHTML={{ __html: html }} />
    </Typography>
  );
}
