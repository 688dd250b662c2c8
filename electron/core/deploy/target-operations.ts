/**
 * What every target offers on a deployed server, behind one small interface each target module
 * implements (docker/operations.ts, ssh-host/operations.ts, lab/operations.ts): read its health and
 * logs, put a new server config in place through the target's own channel (the Docker API, SFTP,
 * a file of this machine), restart it, and move its on-target self-destruction. The service builds
 * renewals, restarts, extensions and legal holds from these, run by `DeploymentRunner.operate` so every step is
 * journaled like a deployment's.
 */
import type { HoldTargetTimer, ResourceRef, TargetHealth, TargetKind } from '../../../shared/deploy';
import type { DeploymentPlan, StepContext, StepDefinition } from './model';

/** Where the responder wants the new minion; the target chooses what is left out. */
export interface ScaleOutRequest {
  port?: number;
  bindAddress?: string;
  /** Which scale-out of the deployment this is (1 for the first; the service counts its journal's). */
  attempt?: number;
}

/** One more minion of a multi-frontend deployment, as the target adds it. */
export interface ScaleOutWork {
  /** The minion's node name (`<hostname>-<port>`). */
  node: string;
  /** The deployment's settings with the minion (journaled when every step is done). */
  settings: unknown;
  /** What it makes (the approval plan lists these). */
  resources: ResourceRef[];
  steps: Array<Omit<StepDefinition, 'phase'>>;
  /**
   * What the steps made that the deployment's other resources own once the scale-out is done (a node
   * in a cloud stack: deleting the stack deletes it): journaled as retained, so destroy leaves it to them.
   */
  retain?: ResourceRef[];
  /** Puts the previous config back after a failed step (the runner removed what the steps made). */
  undo?: (ctx: StepContext) => Promise<void>;
}

export interface TargetOperations {
  readonly target: TargetKind;
  /** The server's state on its target now. Read-only; nothing journaled. */
  health(plan: DeploymentPlan, signal: AbortSignal): Promise<TargetHealth>;
  /** The server's last log lines (container output, the unit's journal, the lab's log file). */
  logs(plan: DeploymentPlan, lines: number, signal: AbortSignal): Promise<string>;
  /**
   * Replaces the server config the server reads at its next start, through the target's channel
   * (never an environment variable, never a command line). Resources made on the way are journaled.
   */
  deliverConfig(plan: DeploymentPlan, yaml: string, ctx: StepContext): Promise<void>;
  /** Stops and starts the server and waits until it serves again; refreshes the endpoint outputs. */
  restart(plan: DeploymentPlan, ctx: StepContext): Promise<void>;
  /**
   * Moves the target's own self-destruction (a timer container, a systemd timer) to `at`. Absent on
   * targets where the app's reaper is the timer (the local lab: the target is this machine).
   */
  rescheduleExpiry?(plan: DeploymentPlan, at: Date, ctx: StepContext): Promise<void>;
  /**
   * Stops the target's own self-destruction until `rescheduleExpiry` arms it again (a legal hold):
   * afterwards nothing on the target destroys the server by itself. Fails when it cannot be sure of
   * that. 'disarmed' when a timer was disarmed, 'none' when the target had none left (it fired, or
   * was removed there), 'armed' when this deployment's target cannot be told (cloud VMs made before
   * their timer knew holds): the service then says the hold protects from the app only. Absent where
   * the target has no timer of its own, or none that can be disarmed.
   */
  disarmExpiry?(plan: DeploymentPlan, ctx: StepContext): Promise<HoldTargetTimer>;
  /**
   * Runs `work` with an address of this machine that reaches the server's API: an SSH tunnel when
   * the API listens on the host's loopback only. Absent: the journaled `apiEndpoint` is dialable.
   */
  withApi?<T>(plan: DeploymentPlan, work: (endpoint: string) => Promise<T>): Promise<T>;
  /**
   * Scale-out of a multi-frontend deployment (Velociraptor's master and minions): the work that adds
   * one minion. Absent: the target runs one server only. Pure: nothing happens until the steps run.
   */
  scaleOut?(plan: DeploymentPlan, request: ScaleOutRequest): ScaleOutWork;
}
