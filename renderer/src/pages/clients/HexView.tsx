/**
 * Hex view of a file downloaded from a client: the server's copy read one page (4 KiB) at a time
 * through the core (VFSGetBuffer ranges), never the whole file in the renderer. Offsets, hex and an
 * ASCII column rendered as plain text; previous/next page, first/last, and jump to an offset
 * (decimal, 0x… or …h).
 */
import { Button, Group, Modal, Stack, Text, TextInput } from '@mantine/core';
import { IconChevronLeft, IconChevronRight, IconChevronsLeft, IconChevronsRight } from '@tabler/icons-react';
import { useMemo, useState, type ReactNode } from 'react';
import type { Target } from '../../../../shared/contracts/connections';
import { useCall } from '../../api/use-call';
import { fromBase64, hexOffset, hexRows, pageOf, PAGE_BYTES, parseOffset, ROW_BYTES } from './hex';

interface Page {
  offset: number;
  bytes: Uint8Array;
  size: number;
  flowId: string;
}

/** One of the four paging buttons: an icon with its accessible name. */
function PageButton(props: {
  label: string;
  disabled: boolean;
  onClick: () => void;
  testId?: string;
  children: ReactNode;
}) {
  return (
    <Button
      size="compact-sm"
      variant="default"
      aria-label={props.label}
      disabled={props.disabled}
      onClick={props.onClick}
      data-testid={props.testId}
    >
      {props.children}
    </Button>
  );
}

export function HexView(props: { target: Target; clientId: string; path: string; onClose: () => void }) {
  const [offset, setOffset] = useState(0);
  const [jump, setJump] = useState('');
  const [jumpError, setJumpError] = useState<string | null>(null);
  const [mark, setMark] = useState<number | null>(null);
  const { target, clientId, path } = props;
  // The page shown stays until the next one arrives (paging does not blank the view).
  const read = useCall(
    'clients:vfsReadRange',
    { target, clientId, path, offset, length: PAGE_BYTES },
    { keepPrevious: true },
  );
  const error = read.error;
  const r = read.value;
  const page = useMemo<Page | null>(
    () => (r ? { offset: r.offset, bytes: fromBase64(r.data), size: r.size, flowId: r.flowId } : null),
    [r],
  );

  const size = page?.size ?? 0;
  const lastPage = pageOf(Math.max(0, size - 1), size);
  const go = (o: number) => setOffset(pageOf(Math.max(0, o), size));
  const doJump = () => {
    const n = parseOffset(jump);
    if (n === null) return setJumpError('Enter an offset: 4096, 0x1000 or 1000h.');
    if (page && n >= size)
      return setJumpError(
        `The file has ${size.toLocaleString()} bytes (last offset 0x${hexOffset(Math.max(0, size - 1))}).`,
      );
    setJumpError(null);
    setMark(n - (n % ROW_BYTES));
    go(n);
  };
  const rows = page && page.offset === offset ? hexRows(page.bytes, page.offset) : [];
  const end = page ? page.offset + page.bytes.length : 0;

  return (
    <Modal opened onClose={props.onClose} size={900} title={`Hex view: ${path}`}>
      <Stack gap="xs" data-testid="hex-view">
        <Group justify="space-between">
          <Text size="sm" c="dimmed" data-testid="hex-range">
            {page
              ? `Bytes ${page.offset.toLocaleString()}–${Math.max(page.offset, end - 1).toLocaleString()} of ${size.toLocaleString()} · server copy from ${page.flowId}`
              : 'Reading…'}
          </Text>
          <Group gap={4}>
            <PageButton label="First page" disabled={offset === 0} onClick={() => go(0)}>
              <IconChevronsLeft size={14} />
            </PageButton>
            <PageButton
              label="Previous page"
              disabled={offset === 0}
              onClick={() => go(offset - PAGE_BYTES)}
              testId="hex-prev"
            >
              <IconChevronLeft size={14} />
            </PageButton>
            <PageButton
              label="Next page"
              disabled={!page || offset >= lastPage}
              onClick={() => go(offset + PAGE_BYTES)}
              testId="hex-next"
            >
              <IconChevronRight size={14} />
            </PageButton>
            <PageButton label="Last page" disabled={!page || offset >= lastPage} onClick={() => go(lastPage)}>
              <IconChevronsRight size={14} />
            </PageButton>
          </Group>
        </Group>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            doJump();
          }}
        >
          <Group align="flex-start" gap="xs">
            <TextInput
              size="xs"
              w={220}
              aria-label="Jump to offset"
              placeholder="Offset: 4096, 0x1000, 1000h"
              value={jump}
              onChange={(e) => setJump(e.currentTarget.value)}
              error={jumpError}
              data-testid="hex-jump"
            />
            <Button size="xs" type="submit" variant="light" data-testid="hex-go">
              Go
            </Button>
          </Group>
        </form>
        {error ? <Text c="red">{error}</Text> : null}
        {page && page.bytes.length === 0 ? <Text c="dimmed">The file is empty.</Text> : null}
        <div
          style={{
            maxHeight: 480,
            overflow: 'auto',
            fontFamily: 'var(--mantine-font-family-monospace)',
            fontSize: 12,
            lineHeight: 1.5,
          }}
          role="table"
          aria-label={`Bytes of ${path}`}
          data-testid="hex-rows"
        >
          {rows.map((r) => (
            <div
              key={r.offset}
              role="row"
              data-testid={`hex-row-${r.offsetText}`}
              data-marked={mark === r.offset || undefined}
              ref={mark === r.offset ? (el) => el?.scrollIntoView({ block: 'nearest' }) : undefined}
              style={{
                display: 'flex',
                gap: 16,
                whiteSpace: 'pre',
                background: mark === r.offset ? 'var(--mantine-primary-color-light)' : undefined,
              }}
            >
              <span role="cell" style={{ color: 'var(--mantine-color-dimmed)' }}>
                {r.offsetText}
              </span>
              <span role="cell" data-testid="hex-bytes" style={{ minWidth: '49ch' }}>
                {r.hex}
              </span>
              {/* Plain text node: whatever the file holds is only ever characters here. */}
              <span role="cell" data-testid="hex-ascii">
                {r.ascii}
              </span>
            </div>
          ))}
        </div>
      </Stack>
    </Modal>
  );
}
