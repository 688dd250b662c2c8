/**
 * The agents wizard's certificate step for WinRM, the counterpart of the SSH host key step: each
 * listener's certificate (SHA-256, subject, issuer, validity) as the host presents it now. With pins
 * (the default) a certificate never seen is compared and confirmed once, then pinned; a changed one is
 * refused with both fingerprints and the host is not touched. With a CA, whether the CA issued it for
 * the host. Unchecked: nothing is looked at, and the step says so.
 * Test ids: `winrmcerts-step`, `winrmcerts-scan`, `winrmcerts-pick-all`, `winrmcerts-trust`,
 * `winrmcerts-error`, `winrmcerts-table`, `winrmcert-HOST:PORT` (data-status).
 */
import { Alert, Code, Stack, Text } from '@mantine/core';
import { WINRM_HTTP_WARNING } from '../../../../shared/agents';
import type { WinRmCertScan } from '../../../../shared/contracts/agents';
import { useApi } from '../../api/index';
import { ConfirmIdentitiesStep } from './ConfirmIdentitiesStep';

const COLOR: Record<WinRmCertScan['status'], string> = {
  known: 'green',
  'ca-valid': 'green',
  new: 'yellow',
  changed: 'red',
  'ca-invalid': 'red',
  unreachable: 'gray',
};

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

  return (
    <ConfirmIdentitiesStep<WinRmCertScan>
      ids={{ step: 'winrmcerts', row: 'winrmcert' }}
      intro={
        tls === 'ca'
          ? 'Each listener’s certificate is checked against the CA you gave and the host name. Hosts whose certificate the CA did not issue fail.'
          : 'Each listener’s certificate is compared with the one you confirmed before. A certificate never seen is shown here: compare its SHA-256 with the listener’s on the host (for example certutil or Get-ChildItem Cert:\\LocalMachine\\My) and confirm it once; it is then pinned. A changed certificate is refused and the host is not touched. Hosts you do not confirm fail with that reason.'
      }
      labels={{
        scan: 'Check certificates',
        pickAll: (n) => `Select all new certificates (${n})`,
        trust: 'Trust the selected certificates',
        column: 'Certificate',
      }}
      newStatus="new"
      colors={COLOR}
      scan={() =>
        api
          .call('agents:scan-winrm-certs', { hosts, ...(tls === 'ca' ? { caPem } : {}) })
          .then((r) => r.certs)
      }
      trust={(certs) => api.call('agents:trust-winrm-certs', { certs })}
      identity={(c) => (
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
      )}
    />
  );
}
