import type { Environment, Environments } from "../../config/environments-config.js";
import type { Actor, ProgressFn } from "../../core/command.js";
import type { Logger } from "../../core/logger.js";
import type { Redactor } from "../../core/redact.js";
import type { EnvLocks } from "../env-locks.js";
import type { Store } from "../../store/store.js";
import type { DeployPlan } from "./deploy-plan.js";
import type { NodeScope } from "./env-nodes.js";
import type { DeploymentKind, DeploymentRecord } from "./history.js";
import type { RouteTarget } from "./rolling-up.js";
import type { DeployTarget } from "./node-steps.js";
import type { NodeStatus } from "./node-status.js";

/** The deploy op's options, request, outcome and interface (re-exported from `create-deploy-op.ts`). */

export interface DeployOpOptions {
  environments: Environments;
  /** Adapters for a host name from the config; the app caches one set per host. */
  targetFor(hostName: string): DeployTarget;
  store: Store;
  redact: Redactor;
  log?: Logger;
  clock?: () => Date;
  fetch?: typeof fetch;
  /** The pre-deploy backup, when the backups feature is configured for this environment. */
  backupFor?: (env: string) => ((progress: ProgressFn) => Promise<void>) | undefined;
  /** Lease of the host lock: the longest a deploy may take (default: health timeout + 30 min). */
  hostLockLeaseMs?: number;
  /** One operation per environment in this process; share the instance with seeds. */
  envLocks?: EnvLocks;
  /** Lines of container logs attached to a failure reply. */
  logTailLines?: number;
  /** The proxy in front of `environments.<env>.route` on a host (needed by `strategy: rolling`). */
  routeFor?: (envName: string, hostName: string) => RouteTarget | undefined;
}

export interface DeployRequest {
  env: string;
  ref: string;
  kind: DeploymentKind;
  actor: Actor;
  approvedBy?: string[];
  progress: ProgressFn;
  /** Only this group and/or node of an environment with node groups. */
  scope?: NodeScope;
  /** Per-node target tags (node → tag), e.g. a rollback to each node's last good tag; when given, only these nodes are touched. */
  tags?: Record<string, string>;
}

/** A finished deploy; `result: failed` carries the failure, whether it rolled back and the log tail. */
export interface DeployOutcome {
  record: DeploymentRecord;
  /** Redacted log tail of the project when the deploy failed. */
  logs?: string;
  /** The step that failed. */
  failedStep?: string;
}

export interface DeployOp {
  /** The environment's config; throws `bad_input` listing the valid names. */
  environment(name: string): Environment;
  /** The tag in the environment's `.env` right now (null when unset). */
  currentTag(env: string): Promise<string | null>;
  /** The exact plan; reads `.env` and detects the compose binary, changes nothing. */
  plan(env: string, ref: string, kind?: DeploymentKind): Promise<DeployPlan>;
  /**
   * Deploy (or roll back to) `ref`. Throws `OpsError` when it could not start (busy, lock, bad
   * ref); once the tag has changed it never throws: a failure rolls back and is in the outcome.
   */
  run(request: DeployRequest): Promise<DeployOutcome>;
  /** The tag in each selected node's `.env` (environments without node groups: the one host). */
  nodeTags(env: string, scope?: NodeScope): Promise<Array<{ group: string; node: string; tag: string | null }>>;
  /** Per node: tag, containers and health (`/deploy status`). */
  status(env: string): Promise<NodeStatus[]>;
}
