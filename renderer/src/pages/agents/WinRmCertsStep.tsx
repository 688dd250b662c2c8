/**
 * The agents wizard's certificate step for WinRM, the counterpart of the SSH host key step: each
 * listener's certificate (SHA-256, subject, issuer, validity) as the host presents it now. With pins
 * (the default) a certificate never seen is compared and confirmed once, then pinned; a changed one is
 * refused with both fingerprints and the host is not touched. With a CA, whether the CA issued it for
 * the host. Unchecked: nothing is looked at, and the step says so.
 * Test ids: `winrmcerts-step`, `winrmcerts-scan`, `winrmcerts-pick-all`, `winrmcerts-trust`,
 * `winrmcerts-error`, `winrmcerts-table`, `winrmcert-HOST:PORT` (data-status).
 */
import { Alert, Badge, Button, Checkbox, Code, Group, Loader, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import { WINRM_HTTP_WARNING } from '../../../../shared/agents';
import type { WinRmCertScan } from '../../../../shared/contracts/agents';
import { describeError } from '../../../../shared/errors';
import { useApi } from '../../api/index';

const COLOR: Record<WinRmCertScan['status'], string> = {
  known: 'green',
  'ca-valid': 'green',
  new: 'yellow',
  changed: 'red',
  'ca-invalid': 'red',
  unreachable: 'gray',
};

const keyOf = (c: { host: string; port: number }) => `${c.host}:${c.port}`;

export function WinRmCertsStep({
  hosts,
  tls,
  caPem,
}: {
  hosts: Array<{ host: string; port: number }>;
  tls: 'pinned' | 'ca' | 'unchecked' | 'http';
  caPem: string;
}) {
  const api = useApi();
  const [certs, setCerts] = useState<WinRmCertScan[]>();
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  if (tls === 'unchecked')
    return (
      <Alert color="red" data-testid="winrmcerts-step" data-unchecked="true">
        The listeners&apos; certificates are NOT checked for this push, as you chose: anyone on the path can
        read the login and change what the hosts run. Go back to pin them or give a CA.
      </Alert>
    );

  if (tls === 'http')
    return (
      <Alert color="red" data-testid="winrmcerts-step" data-http="true">
        The plain HTTP listener has no certificate to check. {WINRM_HTTP_WARNING}
      </Alert>
    );

  const scan = () => {
    setBusy(true);
    setError(undefined);
    api
      .call('agents:scan-winrm-certs', { hosts, ...(tls === 'ca' ? { caPem } : {}) })
      .then((r) => {
        setCerts(r.certs);
        setPicked(new Set());
      })
      .catch((e: unknown) => setError(describeError(e)))
      .finally(() => setBusy(false));
  };
  const trust = () => {
    if (!certs) return;
    setBusy(true);
    setError(undefined);
    api
      .call('agents:trust-winrm-certs', {
        certs: certs
          .filter((c) => c.status === 'new' && picked.has(keyOf(c)) && c.fingerprint)
          .map((c) => ({ host: c.host, port: c.port, fingerprint: c.fingerprint! })),
      })
      .then((r) => {
        if (r.refused.length)
          setError(r.refused.map((x) => x.message ?? `${keyOf(x)}: ${x.status}`).join(' '));
        scan();
      })
      .catch((e: unknown) => {
        setError(describeError(e));
        setBusy(false);
      });
  };
  const fresh = certs?.filter((c) => c.status === 'new') ?? [];
  return (
    <Stack data-testid="winrmcerts-step">
      <Text size="sm">
        {tls === 'ca'
          ? 'Each listener’s certificate is checked against the CA you gave and the host name. Hosts whose certificate the CA did not issue fail.'
          : 'Each listener’s certificate is compared with the one you confirmed before. A certificate never seen is shown here: compare its SHA-256 with the listener’s on the host (for example certutil or Get-ChildItem Cert:\\LocalMachine\\My) and confirm it once; it is then pinned. A changed certificate is refused and the host is not touched. Hosts you do not confirm fail with that reason.'}
      </Text>
      <Group>
        <Button variant="default" onClick={scan} loading={busy} data-testid="winrmcerts-scan">
          Check certificates
        </Button>
        {fresh.length ? (
          <>
            <Button
              variant="default"
              onClick={() => setPicked(new Set(fresh.map(keyOf)))}
              data-testid="winrmcerts-pick-all"
            >
              Select all new certificates ({fresh.length})
            </Button>
            <Button onClick={trust} disabled={!picked.size} loading={busy} data-testid="winrmcerts-trust">
              Trust the selected certificates
            </Button>
          </>
        ) : null}
      </Group>
      {error ? (
        <Alert color="red" data-testid="winrmcerts-error">
          {error}
        </Alert>
      ) : null}
      {certs ? (
        <Table striped withTableBorder data-testid="winrmcerts-table">
          <Table.Thead>
            <Table.Tr>
              <Table.Th />
              <Table.Th>Host</Table.Th>
              <Table.Th>Certificate</Table.Th>
              <Table.Th>State</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {certs.slice(0, 500).map((c) => (
              <Table.Tr key={keyOf(c)} data-testid={`winrmcert-${keyOf(c)}`} data-status={c.status}>
                <Table.Td>
                  {c.status === 'new' ? (
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
                    <Stack gap={2}>
                      <Code>SHA-256 {c.fingerprint}</Code>
                      {c.pinned ? <Code c="red">pinned before: {c.pinned}</Code> : null}
                      <Text size="xs">subject {c.subject}</Text>
                      <Text size="xs">issuer {c.issuer}</Text>
                      <Text size="xs">
                        valid {c.validFrom?.slice(0, 10)} to {c.validTo?.slice(0, 10)}
                      </Text>
                      {c.message && c.status !== 'changed' ? <Text size="xs">{c.message}</Text> : null}
                    </Stack>
                  ) : (
                    <Text size="xs">{c.message}</Text>
                  )}
                </Table.Td>
                <Table.Td>
                  <Badge color={COLOR[c.status]} variant="light">
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
