/**
 * The VFS browser: the server's cached listing of a directory, refreshed on demand by a listing
 * collection on the client; files are downloaded with progress and their sha256 shown, and a
 * downloaded file opens in the hex view (read page by page from the server's copy).
 */
import { Anchor, Breadcrumbs, Button, Code, Group, Progress, Stack, Table, Text } from '@mantine/core';
import { notifications } from '@mantine/notifications';
import { IconBinary, IconDownload, IconFile, IconFolder, IconRefresh } from '@tabler/icons-react';
import { useState } from 'react';
import type { DownloadProgress, VfsEntry } from '../../../../shared/contracts/clients';
import type { Target } from '../../../../shared/contracts/connections';
import { useApi } from '../../api/index';
import { downloadName, handToBrowser } from '../../api/save-file';
import { useAppInfo } from '../../app/app-info-context';
import { useCall } from '../../api/use-call';
import { TimeText } from '../../components/investigation/Time';
import { HexView } from './HexView';
import { describeError } from '../../../../shared/errors';

function parent(path: string, sep: string): string {
  const parts = path.split(/[\\/]/).filter(Boolean);
  parts.pop();
  return sep === '\\' ? (parts.length ? parts.join('\\') + '\\' : path) : '/' + parts.join('/');
}

export function VfsBrowser(props: { target: Target; clientId: string; hostname: string; os: string }) {
  const api = useApi();
  const sep = props.os.toLowerCase() === 'windows' ? '\\' : '/';
  const [path, setPath] = useState(sep === '\\' ? 'C:\\' : '/');
  const [busy, setBusy] = useState(false);
  const [refreshError, setError] = useState<string | null>(null);
  const [downloads, setDownloads] = useState<Record<string, DownloadProgress & { error?: string }>>({});
  const [hexPath, setHexPath] = useState<string | null>(null);
  const { target, clientId } = props;

  const listing = useCall('clients:vfsList', { target, clientId, path });
  const entries = listing.value?.entries ?? null;
  const refreshedMs = listing.value?.refreshedMs ?? null;
  const error = refreshError ?? listing.error;

  const refresh = () => {
    setBusy(true);
    setError(null);
    api
      .call('clients:vfsRefresh', { target, clientId, path })
      .then(listing.reload, (e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };

  const browserMode = useAppInfo()?.mode === 'browser';
  const download = (e: VfsEntry) => {
    setDownloads((d) => ({ ...d, [e.path]: { received: 0, total: e.size, done: false } }));
    api.stream(
      'clients:download',
      { target, clientId, path: e.path },
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
  return (
    <Stack data-testid="vfs-browser">
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
          The server has no listing of {path} yet. Press “Refresh from client” to ask the endpoint to list it.
        </Text>
      ) : null}
      {entries && entries.length > 0 ? (
        <Table highlightOnHover data-testid="vfs-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Size</Table.Th>
              <Table.Th>Mode</Table.Th>
              <Table.Th>Modified</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {path !== '/' && path.split(/[\\/]/).filter(Boolean).length > (sep === '\\' ? 1 : 0) ? (
              <Table.Tr>
                <Table.Td colSpan={5}>
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
                        <Group gap={4}>
                          <IconFolder size={14} />
                          {e.name}
                        </Group>
                      </Anchor>
                    ) : (
                      <Group gap={4}>
                        <IconFile size={14} />
                        {e.name}
                      </Group>
                    )}
                  </Table.Td>
                  <Table.Td>{e.isDir ? '' : e.size.toLocaleString()}</Table.Td>
                  <Table.Td>
                    <code>{e.mode}</code>
                  </Table.Td>
                  <Table.Td>
                    <TimeText ms={Date.parse(e.mtime)} />
                  </Table.Td>
                  <Table.Td w={360}>
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
      ) : null}
      {hexPath ? (
        <HexView target={target} clientId={clientId} path={hexPath} onClose={() => setHexPath(null)} />
      ) : null}
    </Stack>
  );
}
