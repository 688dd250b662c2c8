/**
 * Approvals and policy (kept, signed, in policy-store.ts). A tool that changes an endpoint or a
 * deployment asks the gate before it acts.
 * The policy decides first: `read-only` refuses every such tool, `allow-listed` lets the listed tools
 * run without asking (others still ask), `ask` (the default) asks the responder every time. Asking
 * goes to an Approver: inside the app the ApprovalBroker (the Assistants page shows its pending list),
 * in a stdio server launched by an assistant the approval socket to the running app
 * (approval-socket.ts). An unanswered request times out as APPROVAL_TIMEOUT.
 */
import { randomUUID } from 'node:crypto';
import {
  ApprovalAnswer,
  ApprovalPlan,
  ApprovalRequest,
  McpPolicy,
  PolicyMode,
} from '../../../shared/contracts/mcp';
import { AppError } from '../../../shared/errors';

export { ApprovalAnswer, ApprovalPlan, ApprovalRequest, McpPolicy, PolicyMode };

export { DEFAULT_POLICY, POLICY_KEY_REF, PolicyStore, type EffectivePolicy } from './policy-store';

/** How a gated call was let through (or why not), for the audit log. */
export type GateOutcome =
  'not-required' | 'approved' | 'allowed-by-policy' | 'denied' | 'timeout' | 'forbidden-by-policy';

export interface Approver {
  /** Resolves with the responder's answer; rejects with APPROVAL_TIMEOUT or POLICY_FORBIDDEN. */
  ask(request: ApprovalRequest, signal?: AbortSignal): Promise<ApprovalAnswer>;
}

/**
 * Decides whether a gated call may run. Returns how it was let through, or throws APPROVAL_DENIED,
 * APPROVAL_TIMEOUT or POLICY_FORBIDDEN (the outcome is in the error's details for the audit log).
 */
export async function gate(
  policy: McpPolicy,
  approver: Approver,
  request: Omit<ApprovalRequest, 'id' | 'createdAt' | 'expiresAt'>,
  signal?: AbortSignal,
): Promise<GateOutcome> {
  if (policy.mode === 'read-only') {
    throw new AppError(
      'POLICY_FORBIDDEN',
      `The assistant policy is read-only: ${request.tool} changes an endpoint or a deployment and is refused. The responder can change the policy on the Assistants page.`,
      {
        details: { outcome: 'forbidden-by-policy' },
      },
    );
  }
  if (policy.mode === 'allow-listed' && policy.allowTools.includes(request.tool)) return 'allowed-by-policy';
  const now = Date.now();
  const full: ApprovalRequest = {
    ...request,
    id: randomUUID(),
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + policy.approvalTimeoutSeconds * 1000).toISOString(),
  };
  const answer = await approver.ask(full, signal);
  if (answer.decision === 'approved') return 'approved';
  throw new AppError(
    'APPROVAL_DENIED',
    `The responder denied ${request.tool}${answer.reason ? `: ${answer.reason}` : '.'} Do not retry it unless the responder asks you to.`,
    {
      details: { outcome: 'denied' },
    },
  );
}

export interface PendingApproval {
  request: ApprovalRequest;
  resolve: (a: ApprovalAnswer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export type BrokerEvent =
  | { type: 'added'; request: ApprovalRequest }
  | { type: 'resolved'; id: string; outcome: 'approved' | 'denied' | 'timeout' | 'cancelled' };

/** The in-app approver: holds pending requests until the responder answers on the Assistants page. */
export class ApprovalBroker implements Approver {
  private readonly pending = new Map<string, PendingApproval>();
  private readonly listeners = new Set<(e: BrokerEvent) => void>();

  ask(request: ApprovalRequest, signal?: AbortSignal): Promise<ApprovalAnswer> {
    return new Promise<ApprovalAnswer>((resolve, reject) => {
      const ms = Math.max(0, Date.parse(request.expiresAt) - Date.now());
      const finish = (outcome: 'approved' | 'denied' | 'timeout' | 'cancelled') => {
        const p = this.pending.get(request.id);
        if (!p) return false;
        clearTimeout(p.timer);
        this.pending.delete(request.id);
        this.emit({ type: 'resolved', id: request.id, outcome });
        return true;
      };
      const timer = setTimeout(() => {
        if (finish('timeout')) {
          reject(
            new AppError(
              'APPROVAL_TIMEOUT',
              `Nobody answered the approval request for ${request.tool} within ${Math.round(ms / 1000)} s; nothing was run.`,
              { details: { outcome: 'timeout' } },
            ),
          );
        }
      }, ms);
      timer.unref?.();
      this.pending.set(request.id, {
        request,
        timer,
        resolve: (a) => {
          if (finish(a.decision)) resolve(a);
        },
        reject: (e: Error) => {
          if (finish('cancelled')) reject(e);
        },
      });
      signal?.addEventListener(
        'abort',
        () =>
          this.pending
            .get(request.id)
            ?.reject(
              new AppError('CANCELLED', 'The assistant cancelled the call while it waited for approval.'),
            ),
        { once: true },
      );
      this.emit({ type: 'added', request });
    });
  }

  list(): ApprovalRequest[] {
    return [...this.pending.values()].map((p) => p.request);
  }

  /** The responder's answer. Returns false when the request is unknown or already answered. */
  decide(id: string, answer: ApprovalAnswer): boolean {
    const p = this.pending.get(id);
    if (!p) return false;
    p.resolve(answer);
    return true;
  }

  subscribe(listener: (e: BrokerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Denies everything still pending (app shutdown). */
  close(): void {
    for (const p of [...this.pending.values()])
      p.resolve({ decision: 'denied', reason: 'the app is closing' });
  }

  private emit(e: BrokerEvent): void {
    for (const l of this.listeners) l(e);
  }
}

/** An approver that refuses everything: headless stdio with no app to ask. */
export class RefusingApprover implements Approver {
  constructor(private readonly why: string) {}
  async ask(request: ApprovalRequest): Promise<ApprovalAnswer> {
    throw new AppError(
      'POLICY_FORBIDDEN',
      `${request.tool} needs the responder's approval, but ${this.why}. Start Megaraptor Desktop, or allow the tool in the assistant policy file.`,
      {
        details: { outcome: 'forbidden-by-policy' },
      },
    );
  }
}
