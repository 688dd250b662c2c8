/**
 * The VFS browser: a folder tree of what was listed beside the server's cached listing of a
 * directory, refreshed on demand by a listing collection on the client, read through the accessor
 * chosen (auto, file, and on Windows ntfs and registry); the path and accessor live in the URL.
 * Files are downloaded with progress and their sha256 shown (with a warning when fewer bytes
 * arrived than the listing says), and a downloaded file opens in the hex view.
 */
import {
  Alert,
  Anchor,
  Breadcrumbs,
  Button,
  Code,
  Group,
  NavLink,
  Paper,
  Progress,
  ScrollArea,
  SegmentedControl,
  Stack,
  Table,
  Text,
} from '@mantine/core';
import { notifications } from '@mantine/notifications';
import {
  IconAlertTriangle,
  IconBinary,
  IconDownload,
  IconFile,
  IconFolder,
  IconRefresh,
} from '@tabler/icons-react';
import { useState } from 'react';
import type { DownloadProgress, VfsAccessor, VfsEntry } from '../../../../shared/contracts/clients';
import type { Target } from '../../../../shared/contracts/connections';
import { useApi } from '../../api/index';
import { downloadName, handToBrowser } from '../../api/save-file';
import { useAppInfo } from '../../app/app-info-context';
import { useCall } from '../../api/use-call';
import { TimeText } from '../../components/investigation/Time';
import { formatBytes } from '../../../../shared/bytes';
import { HexView } from './HexView';
import { describeError } from '../../../../shared/errors';

function parent(path: string, sep: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  parts.pop();
  return sep === '\\' ? (parts.length ? parts.join('\\') + '\\' : path) : '/' + parts.join('/');
}

function rootOf(sep: string): string {
  return sep === '\\' ? 'C:\\' : '/';
}

/** The folders from the root down to `path`, each as a path (the tree opens along them). */
function ancestors(path: string, sep: string): string[] {
  const parts = path.split(/[\\/]/).filter(Boolean);
  if (sep === '\\')
    return parts.map((_, i) => (i === 0 ? `${parts[0]}\\` : parts.slice(0, i + 1).join('\\')));
  return ['/', ...parts.map((_, i) => '/' + parts.slice(0, i + 1).join('/'))];
}

function samePath(a: string, b: string): boolean {
  return a.replace(/[\\/]+$/, '').toLowerCase() === b.replace(/[\\/]+$/, '').toLowerCase();
}

/** A folder and, when it lies on the open path or was listed, its sub-folders. */
function TreeNode(props: {
  path: string;
  label: string;
  current: string;
  /** The folders from the root down to the current one. */
  chain: string[];
  children: Map<string, string[]>;
  go: (path: string) => void;
}) {
  const { path, current } = props;
  const at = props.chain.findIndex((p) => samePath(p, path));
  const kids = [...(props.children.get(path.toLowerCase()) ?? [])];
  // A folder on the open path shows the next one even before it was listed itself.
  const next = at >= 0 ? props.chain[at + 1] : undefined;
  if (next && !kids.some((k) => samePath(k, next))) kids.push(next);
  const isOpen = at >= 0;
  return (
    <NavLink
      label={props.label}
      active={samePath(path, current)}
      opened={isOpen}
      leftSection={<IconFolder size={14} />}
      onClick={() => props.go(path)}
      childrenOffset={12}
      py={2}
      data-testid={`vfs-tree-${props.label}`}
    >
      {isOpen && kids.length
        ? kids.map((k) => (
            <TreeNode key={k} {...props} path={k} label={k.split(/[\\/]/).filter(Boolean).pop() ?? k} />
          ))
        : undefined}
    </NavLink>
  );
}

const TIMES: Array<[keyof VfsEntry, string]> = [
  ['mtime', 'Modified'],
  ['atime', 'Accessed'],
  ['ctime', 'Changed'],
  ['btime', 'Born'],
];

export function VfsBrowser(props: {
  target: Target;
  clientId: string;
  hostname: string;
  os: string;
  /** From the URL: the folder shown and how it is read. */
  path: string | undefined;
  accessor: VfsAccessor;
  onNavigate: (path: string, accessor: VfsAccessor) => void;
}) {
  const api = useApi();
  const windows = props.os.toLowerCase() === 'windows';
  const sep = windows ? '\\' : '/';
  const path = props.path || rootOf(sep);
  const accessor = props.accessor;
  const setPath = (p: string) => props.onNavigate(p, accessor);
  // Sub-folders of every folder listed in this visit, by lower-cased path: the tree's branches.
  const [tree, setTree] = useState<Map<string, string[]>>(new Map());
  const [busy, setBusy] = useState(false);
  const [refreshError, setError] = useState<string | null>(null);
  const [downloads, setDownloads] = useState<Record<string, DownloadProgress & { error?: string }>>({});
  const [hexPath, setHexPath] = useState<string | null>(null);
  const { target, clientId } = props;

  const listing = useCall('clients:vfsList', { target, clientId, path, accessor });
  const entries = listing.value?.entries ?? null;
  const dirs = (entries ?? []).filter((e) => e.isDir).map((e) => e.path);
  const known = tree.get(path.toLowerCase());
  if (entries && (known === undefined || known.join('\n') !== dirs.join('\n')))
    setTree((t) => new Map(t).set(path.toLowerCase(), dirs));
  const refreshedMs = listing.value?.refreshedMs ?? null;
  const error = refreshError ?? listing.error;

  const refresh = () => {
    setBusy(true);
    setError(null);
    api
      .call('clients:vfsRefresh', { target, clientId, path, accessor })
      .then(listing.reload, (e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };

  const browserMode = useAppInfo()?.mode === 'browser';
  const download = (e: VfsEntry) => {
    setDownloads((d) => ({ ...d, [e.path]: { received: 0, total: e.size, done: false } }));
    api.stream(
      'clients:download',
      { target, clientId, path: e.path, accessor },
      {
        data: (p) => {
          setDownloads((d) => ({ ...d, [e.path]: p }));
          // In a browser the file also arrives as a browser download (the copy stays in the data folder).
          if (browserMode && p.done && p.savedTo)
            handToBrowser(api, p.savedTo, downloadName([props.hostname || clientId, e.name], '')).catch(
              (err: unknown) =>
                notifications.show({
                  color: 'red',
                  title: 'The browser did not get the file',
                  message: describeError(err),
                }),
            );
        },
        error: (err) =>
          setDownloads((d) => ({
            ...d,
            [e.path]: { received: 0, total: 0, done: true, error: describeError(err) },
          })),
      },
    );
  };

  const crumbs = path.split(/[\\/]/).filter(Boolean);
  const chain = ancestors(path, sep);
  const accessors: VfsAccessor[] = windows ? ['auto', 'file', 'ntfs', 'registry'] : ['auto', 'file'];
  return (
    <Group align="flex-start" wrap="nowrap" data-testid="vfs-browser">
      <Paper withBorder p={4} w={200} miw={160} data-testid="vfs-tree">
        <ScrollArea.Autosize mah={520} type="auto">
          <TreeNode
            path={chain[0] ?? rootOf(sep)}
            label={(chain[0] ?? rootOf(sep)).replace(/\\$/, '') || '/'}
            current={path}
            chain={chain}
            children={tree}
            go={setPath}
          />
        </ScrollArea.Autosize>
      </Paper>
      <Stack style={{ flex: 1, minWidth: 0 }}>
        <Group justify="space-between">
          <Breadcrumbs>
            <Anchor component="button" onClick={() => setPath(sep === '\\' ? `${crumbs[0] ?? 'C:'}\\` : '/')}>
              {sep === '\\' ? (crumbs[0] ?? 'C:') : '/'}
            </Anchor>
            {crumbs.slice(sep === '\\' ? 1 : 0).map((c, i) => (
              <Anchor
                key={i}
                component="button"
                onClick={() =>
                  setPath(
                    sep === '\\' ? crumbs.slice(0, i + 2).join('\\') : '/' + crumbs.slice(0, i + 1).join('/'),
                  )
                }
              >
                {c}
              </Anchor>
            ))}
          </Breadcrumbs>
          <Group gap="xs">
            <SegmentedControl
              size="xs"
              value={accessor}
              onChange={(v) => props.onNavigate(path, v)}
              data={accessors}
              aria-label="Accessor"
              data-testid="vfs-accessor"
            />
            <Text size="xs" c="dimmed">
              {refreshedMs ? (
                <>
                  Listed <TimeText ms={refreshedMs} />
                </>
              ) : (
                'Not listed yet'
              )}
            </Text>
            <Button
              size="xs"
              leftSection={<IconRefresh size={14} />}
              loading={busy}
              onClick={refresh}
              data-testid="vfs-refresh"
            >
              Refresh from client
            </Button>
          </Group>
        </Group>
        {error ? <Text c="red">{error}</Text> : null}
        {busy ? <Progress value={100} animated striped aria-label="Listing directory on the client" /> : null}
        {entries && entries.length === 0 && !busy ? (
          <Text c="dimmed" data-testid="vfs-empty">
            The server has no listing of {path} yet. Press “Refresh from client” to ask the endpoint to list
            it.
          </Text>
        ) : null}
        {entries && entries.length > 0 ? (
          // The listing scrolls inside its own box: four times per row must not widen the page.
          <Table.ScrollContainer minWidth={980}>
            <Table highlightOnHover data-testid="vfs-table">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Size</Table.Th>
                  <Table.Th>Mode</Table.Th>
                  {TIMES.map(([, label]) => (
                    <Table.Th key={label}>{label}</Table.Th>
                  ))}
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {path !== '/' && path.split(/[\\/]/).filter(Boolean).length > (sep === '\\' ? 1 : 0) ? (
                  <Table.Tr>
                    <Table.Td colSpan={8}>
                      <Anchor component="button" onClick={() => setPath(parent(path, sep))}>
                        ..
                      </Anchor>
                    </Table.Td>
                  </Table.Tr>
                ) : null}
                {entries.map((e) => {
                  const d = downloads[e.path];
                  return (
                    <Table.Tr key={e.path} data-testid={`vfs-entry-${e.name}`}>
                      <Table.Td>
                        {e.isDir ? (
                          <Anchor component="button" onClick={() => setPath(e.path)}>
                            <Group gap={4} wrap="nowrap">
                              <IconFolder size={14} />
                              {e.name}
                            </Group>
                          </Anchor>
                        ) : (
                          <Group gap={4} wrap="nowrap">
                            <IconFile size={14} />
                            {e.name}
                          </Group>
                        )}
                      </Table.Td>
                      <Table.Td
                        title={e.isDir ? undefined : `${e.size.toLocaleString()} bytes`}
                        style={{ whiteSpace: 'nowrap' }}
                      >
                        {e.isDir ? '' : formatBytes(e.size)}
                      </Table.Td>
                      <Table.Td>
                        <code>{e.mode}</code>
                      </Table.Td>
                      {TIMES.map(([k]) => (
                        <Table.Td key={k} data-testid={`vfs-${k}`} style={{ whiteSpace: 'nowrap' }}>
                          {e[k] ? <TimeText ms={Date.parse(String(e[k]))} /> : ''}
                        </Table.Td>
                      ))}
                      <Table.Td miw={200} maw={320}>
                        {!e.isDir && !d ? (
                          <Button
                            size="xs"
                            variant="default"
                            leftSection={<IconDownload size={14} />}
                            onClick={() => download(e)}
                            data-testid={`download-${e.name}`}
                          >
                            Download
                          </Button>
                        ) : null}
                        {d && !d.done ? (
                          <Progress
                            value={d.total ? (100 * d.received) / d.total : 5}
                            animated
                            aria-label={`Downloading ${e.name}`}
                          />
                        ) : null}
                        {!e.isDir && (e.downloaded || (d?.done && d.sha256)) ? (
                          <Button
                            size="xs"
                            variant="subtle"
                            leftSection={<IconBinary size={14} />}
                            onClick={() => setHexPath(e.path)}
                            data-testid={`hex-${e.name}`}
                          >
                            Hex
                          </Button>
                        ) : null}
                        {d?.error ? (
                          <Text c="red" size="xs">
                            {d.error}
                          </Text>
                        ) : null}
                        {d?.done && d.sha256 && d.received < e.size ? (
                          <Alert
                            color="orange"
                            p={6}
                            icon={<IconAlertTriangle size={14} />}
                            data-testid={`download-short-${e.name}`}
                          >
                            Only {d.received.toLocaleString()} of the {e.size.toLocaleString()} bytes listed
                            arrived: the file is sparse, locked or was truncated. Try the ntfs accessor for a
                            locked file.
                          </Alert>
                        ) : null}
                        {d?.done && d.sha256 ? (
                          <Text size="xs" data-testid={`download-done-${e.name}`}>
                            {d.received.toLocaleString()} bytes · sha256{' '}
                            <Code data-testid="download-sha256">{d.sha256}</Code>
                            <br />
                            <Code data-testid="download-path">{d.savedTo}</Code>
                          </Text>
                        ) : null}
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        ) : null}
        {hexPath ? (
          <HexView target={target} clientId={clientId} path={hexPath} onClose={() => setHexPath(null)} />
        ) : null}
      </Stack>
    </Group>
  );
}
