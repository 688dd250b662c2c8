/**
 * What the deployments need the responder to know, wherever the responder is: the core's
 * `deploy:notices` (deployments a dead process left unfinished, self-destruction within 24 h / 1 h,
 * certificate expiry, failed reaps and renewals) digested for the navigation badge and the shell's
 * alert. The Deployments page shows the same notices in full; this only points at it.
 * Test ids: `deployments-attention-badge` (the count; not `nav-…`, which names the links themselves).
 */
import { useCallback, useEffect, useState } from 'react';
import type { DeploymentNotice } from '../../../shared/deploy';
import { useApi } from '../api/index';

/** The core has no deployment event stream: notices are read again this often, and on the events below. */
export const NOTICES_REFRESH_MS = 60_000;
const CHANGED = 'megaraptor:deployments-changed';

export interface NoticeDigest {
  /** Warnings and critical notices, most severe first; info notices stay on the Deployments page. */
  attention: DeploymentNotice[];
  /** Deployments a dead process left unfinished (resume or clean up). */
  unfinished: DeploymentNotice[];
  /** Self-destruction within 24 h, within the hour, or due. */
  destruction: DeploymentNotice[];
  /** The most severe level among `attention`; null when nothing needs attention. */
  level: 'warning' | 'critical' | null;
}

const kindOf = (n: DeploymentNotice): string => n.key.slice(n.deploymentId.length + 1);

export function digestNotices(notices: readonly DeploymentNotice[]): NoticeDigest {
  const attention = notices
    .filter((n) => n.level !== 'info')
    .sort((a, b) => Number(b.level === 'critical') - Number(a.level === 'critical'));
  return {
    attention,
    unfinished: attention.filter((n) => kindOf(n) === 'interrupted'),
    destruction: attention.filter((n) => /^destroy-(24h|1h|due)$/.test(kindOf(n))),
    level:
      attention.length === 0 ? null : attention.some((n) => n.level === 'critical') ? 'critical' : 'warning',
  };
}

/**
 * The notices the responder has not dismissed yet. Dismissing hides what was shown; a notice with a
 * new key (the 1 h notice after the 24 h one, a certificate's next threshold) shows the alert again.
 */
export function undismissed(
  attention: readonly DeploymentNotice[],
  dismissed: ReadonlySet<string>,
): DeploymentNotice[] {
  return attention.filter((n) => !dismissed.has(n.key));
}

/** Tells the shell that deployments changed (the Deployments page calls it after every refresh). */
export function announceDeploymentsChanged(): void {
  window.dispatchEvent(new Event(CHANGED));
}

/**
 * The digest, read at start, every NOTICES_REFRESH_MS, when `path` changes and when the Deployments
 * page announces a change. A failed read keeps the last digest: the Deployments page reports the
 * error itself, and a shell that fails over a notice would hide every page.
 */
export function useDeploymentNotices(path: string): NoticeDigest {
  const api = useApi();
  const [notices, setNotices] = useState<DeploymentNotice[]>([]);
  const refresh = useCallback(() => {
    api
      .call('deploy:notices', {})
      .then((r) => setNotices(r.notices))
      .catch(() => undefined);
  }, [api]);
  useEffect(() => {
    const t = setInterval(refresh, NOTICES_REFRESH_MS);
    window.addEventListener(CHANGED, refresh);
    return () => {
      clearInterval(t);
      window.removeEventListener(CHANGED, refresh);
    };
  }, [refresh]);
  useEffect(refresh, [refresh, path]);
  return digestNotices(notices);
}
