/**
 * Live data of the Assistants page: endpoint status, the audit log (a first page, then the live
 * tail) and the approvals waiting for the responder (a snapshot, then added/resolved events).
 */
import { useEffect, useState } from 'react';
import type { ApprovalRequest, AuditEntry, McpStatus } from '../../../../shared/contracts/mcp';
import { useApi } from '../../api/index';
import { usePoll } from '../../api/use-call';
import { describeError } from '../../../../shared/errors';

export function useMcpStatus(): {
  status: McpStatus | undefined;
  error: string | undefined;
  refresh: () => void;
  setStatus: (s: McpStatus) => void;
} {
  // Sessions and pending counts change without an event of their own.
  const polled = usePoll('mcp:status', {}, { everyMs: 5000, errorEveryMs: 5000 });
  return {
    status: polled.value,
    error: polled.error ?? undefined,
    refresh: polled.reload,
    setStatus: polled.set,
  };
}

export type AuditRow = AuditEntry & { key: string };

const MAX_ROWS = 500;

export function useAuditLog(): { rows: AuditRow[]; total: number; live: boolean; error: string | undefined } {
  const api = useApi();
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [total, setTotal] = useState(0);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let stopped = false;
    let seq = 0;
    // Subscribe first, then read the page, so nothing written in between is lost; the page's
    // entries come before the tail's.
    const tail: AuditRow[] = [];
    let loaded = false;
    const cancel = api.stream(
      'mcp:auditTail',
      {},
      {
        data: (e) => {
          const row = { ...e, key: `t${seq++}` };
          if (!loaded) tail.push(row);
          else {
            setRows((r) => [row, ...r].slice(0, MAX_ROWS));
            setTotal((n) => n + 1);
          }
        },
        end: () => setLive(false),
        error: (e) => {
          setLive(false);
          setError(describeError(e));
        },
      },
    );
    api
      .call('mcp:auditPage', { limit: 200 })
      .then((p) => {
        if (stopped) return;
        loaded = true;
        setLive(true);
        // Entries written while the page was read arrive in both: show them once.
        const extra = tail.filter(
          (t) => !p.entries.some((e) => e.time === t.time && e.name === t.name && e.client === t.client),
        );
        setRows(
          [...extra.reverse(), ...p.entries.map((e) => ({ ...e, key: `p${e.index}` }))].slice(0, MAX_ROWS),
        );
        setTotal(p.total + extra.length);
      })
      .catch((e: unknown) => setError(describeError(e)));
    return () => {
      stopped = true;
      cancel();
    };
  }, [api]);
  return { rows, total, live, error };
}

export function useApprovals(): { pending: ApprovalRequest[]; error: string | undefined } {
  const api = useApi();
  const [pending, setPending] = useState<ApprovalRequest[]>([]);
  const [error, setError] = useState<string>();
  useEffect(
    () =>
      api.stream(
        'mcp:approvalEvents',
        {},
        {
          data: (ev) => {
            if (ev.type === 'snapshot') setPending(ev.pending);
            else if (ev.type === 'added')
              setPending((p) => [...p.filter((r) => r.id !== ev.request.id), ev.request]);
            else setPending((p) => p.filter((r) => r.id !== ev.id));
          },
          error: (e) => setError(describeError(e)),
        },
      ),
    [api],
  );
  return { pending, error };
}

/** Seconds until `iso`, ticking once a second (never below 0). */
export function useSecondsLeft(iso: string | undefined): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return iso ? Math.max(0, Math.round((Date.parse(iso) - now) / 1000)) : 0;
}
