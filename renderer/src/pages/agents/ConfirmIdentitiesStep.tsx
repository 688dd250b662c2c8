/**
 * The one way the agents wizard has the responder confirm what hosts present before a push: the SSH
 * host keys and the WinRM listener certificates. The core reads each host's identity now (`scan`), the
 * responder compares the fingerprints of the never-seen ones and picks those to trust, and the core
 * remembers only what the host still presents (`trust`); a changed identity cannot be picked at all.
 * Test ids: `${ids.step}-step`, `-scan`, `-pick-all`, `-trust`, `-error`, `-table`, and a row per host
 * `${ids.row}-HOST:PORT` with data-status.
 */
import { Alert, Badge, Button, Checkbox, Group, Loader, Stack, Table, Text } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { describeError } from '../../../../shared/errors';

export interface ScannedIdentity {
  host: string;
  port: number;
  status: string;
  fingerprint?: string | undefined;
  message?: string | undefined;
}

const keyOf = (c: { host: string; port: number }) => `${c.host}:${c.port}`;

export function ConfirmIdentitiesStep<T extends ScannedIdentity>({
  ids,
  intro,
  labels,
  newStatus,
  colors,
  scan,
  trust,
  identity,
}: {
  ids: { step: string; row: string };
  intro: ReactNode;
  labels: { scan: string; pickAll: (n: number) => string; trust: string; column: string };
  /** The status of an identity never seen: the only one the responder may confirm. */
  newStatus: T['status'];
  colors: Record<T['status'], string>;
  scan: () => Promise<T[]>;
  trust: (picked: Array<{ host: string; port: number; fingerprint: string }>) => Promise<{ refused: T[] }>;
  /** The identity cell of a host that answered (fingerprint and what else identifies it). */
  identity: (scanned: T & { fingerprint: string }) => ReactNode;
}) {
  const [found, setFound] = useState<T[]>();
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const runScan = () => {
    setBusy(true);
    setError(undefined);
    scan()
      .then((r) => {
        setFound(r);
        setPicked(new Set());
      })
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };
  const runTrust = () => {
    if (!found) return;
    setBusy(true);
    setError(undefined);
    trust(
      found
        .filter((c) => c.status === newStatus && picked.has(keyOf(c)) && c.fingerprint)
        .map((c) => ({ host: c.host, port: c.port, fingerprint: c.fingerprint! })),
    )
      .then((r) => {
        if (r.refused.length)
          setError(r.refused.map((x) => x.message ?? `${keyOf(x)}: ${x.status}`).join(' '));
        runScan();
      })
      .catch((e: unknown) => {
        setError(describeError(e));
        setBusy(false);
      });
  };
  const fresh = found?.filter((c) => c.status === newStatus) ?? [];
  return (
    <Stack data-testid={`${ids.step}-step`}>
      <Text size="sm">{intro}</Text>
      <Group>
        <Button variant="default" onClick={runScan} loading={busy} data-testid={`${ids.step}-scan`}>
          {labels.scan}
        </Button>
        {fresh.length ? (
          <>
            <Button
              variant="default"
              onClick={() => setPicked(new Set(fresh.map(keyOf)))}
              data-testid={`${ids.step}-pick-all`}
            >
              {labels.pickAll(fresh.length)}
            </Button>
            <Button
              onClick={runTrust}
              disabled={!picked.size}
              loading={busy}
              data-testid={`${ids.step}-trust`}
            >
              {labels.trust}
            </Button>
          </>
        ) : null}
      </Group>
      {error ? (
        <Alert color="red" data-testid={`${ids.step}-error`}>
          {error}
        </Alert>
      ) : null}
      {found ? (
        <Table striped withTableBorder data-testid={`${ids.step}-table`}>
          <Table.Thead>
            <Table.Tr>
              <Table.Th />
              <Table.Th>Host</Table.Th>
              <Table.Th>{labels.column}</Table.Th>
              <Table.Th>State</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {/* A push names at most 4,096 hosts; the table shows the first 500 of them. */}
            {found.slice(0, 500).map((c) => (
              <Table.Tr key={keyOf(c)} data-testid={`${ids.row}-${keyOf(c)}`} data-status={c.status}>
                <Table.Td>
                  {c.status === newStatus ? (
                    <Checkbox
                      checked={picked.has(keyOf(c))}
                      onChange={(e) => {
                        const on = e.currentTarget.checked;
                        setPicked((p) => {
                          const n = new Set(p);
                          if (on) n.add(keyOf(c));
                          else n.delete(keyOf(c));
                          return n;
                        });
                      }}
                      aria-label={`trust ${keyOf(c)}`}
                    />
                  ) : null}
                </Table.Td>
                <Table.Td>{keyOf(c)}</Table.Td>
                <Table.Td>
                  {c.fingerprint ? (
                    identity({ ...c, fingerprint: c.fingerprint })
                  ) : (
                    <Text size="xs">{c.message}</Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Badge color={colors[c.status as T['status']]} variant="light">
                    {c.status}
                  </Badge>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : busy ? (
        <Loader size="sm" />
      ) : null}
    </Stack>
  );
}
