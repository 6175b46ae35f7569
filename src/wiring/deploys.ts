import type { ProgressFn, Reply } from "../core/command.js";
import type { Config } from "../config/schema.js";
import type { AuditLog } from "../core/audit-log.js";
import { OpsError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Notifier } from "../core/notifier.js";
import type { Redactor } from "../core/redact.js";
import { approvalReplies } from "../handlers/approval-replies.js";
import { createDeployHandler, deployOutcomeReply } from "../handlers/deploy.js";
import { envStatusReply } from "../handlers/env-status-reply.js";
import type { Handler } from "../handlers/handler.js";
import { createRollbackHandler } from "../handlers/rollback.js";
import { createApprovalDesk, type ApprovalDesk, type ApprovalDeskOptions, type ApprovedRunFn } from "../ops/approvals/create-approval-desk.js";
import { createApprovals, type Approvals } from "../ops/approvals/create-approvals.js";
import { createRestoreRunner } from "../ops/backups/restore-runner.js";
import { summarizeReport, type BackupOps } from "../ops/backups/create-backup-ops.js";
import { createDeployOp, type DeployOp } from "../ops/deploy/create-deploy-op.js";
import type { EnvLocks } from "../ops/env-locks.js";
import type { Store } from "../store/store.js";
import type { HostRegistry } from "./host-registry.js";
import type { JobsWiring } from "./jobs.js";

export interface DeploysWiringOptions {
  config: Config;
  hosts: HostRegistry;
  jobs: JobsWiring;
  store: Store;
  notifier: Notifier;
  audit: AuditLog;
  redact: Redactor;
  log: Logger;
  envLocks: EnvLocks;
  /** The approvals' clock (request expiry); default the system clock. */
  clock?: () => Date;
}

export interface DeploysWiring {
  approvals: Approvals;
  /** The one approval desk; undefined when there is nothing to deploy (no environments, no Hetzner). */
  desk: ApprovalDesk | undefined;
  /** Every gated action goes through the one desk; features register their kind's runner (and policy) here. */
  runners: ApprovalDeskOptions["runners"];
  policies: NonNullable<ApprovalDeskOptions["policies"]>;
  handlers: Handler[];
  /** `/status <env>`: per node of an environment; absent without environments. */
  envStatus?: (env: string) => Promise<Reply>;
  /** Close approval requests that expired (and say so); never throws. */
  expireApprovals(): Promise<void>;
  /** Expire requests every minute even when nobody clicks; returns the stop function. */
  startExpiry(): () => Promise<void>;
}

/** What an approved deploy or rollback request runs: exactly the env and ref it was asked for. */
function createDeployRunners(deploy: DeployOp): { deploy: ApprovedRunFn; rollback: ApprovedRunFn } {
  const runner =
    (kind: "deploy" | "rollback"): ApprovedRunFn =>
    async (record, requester, approvers, progress) => {
      const outcome = await deploy.run({ env: record.env, ref: record.ref, kind, actor: requester, approvedBy: approvers, progress });
      return deployOutcomeReply(outcome);
    };
  return { deploy: runner("deploy"), rollback: runner("rollback") };
}

/**
 * `backupFor` for the deploy op from the backups feature: environments with backups configured
 * get a pre-deploy backup; a failed one stops the deploy before the tag changes.
 */
function preDeployBackup(backups: BackupOps): (env: string) => ((progress: ProgressFn) => Promise<void>) | undefined {
  return (env) => {
    if (!backups.envs().includes(env)) return undefined;
    return async (progress) => {
      const report = await backups.run(env, progress);
      if (!report.ok) {
        throw new OpsError("remote_failed", `pre-deploy backup of ${env} failed (${summarizeReport(report)}); nothing was deployed`, `Check /backup status ${env}, fix the backup and deploy again.`);
      }
    };
  };
}

/** Deploys, approvals, rollback (and the desk's restore runner when backups offer restores). */
export function wireDeploys(options: DeploysWiringOptions): DeploysWiring {
  const { config, hosts, jobs, store, notifier, audit, redact, log, envLocks } = options;
  const clock = options.clock ? { clock: options.clock } : {};
  const envNames = Object.keys(config.environments);
  const approvals = createApprovals({ store, access: config.access, ...clock });
  const runners: ApprovalDeskOptions["runners"] = {};
  const policies: NonNullable<ApprovalDeskOptions["policies"]> = {};
  const handlers: Handler[] = [];
  let desk: ApprovalDesk | undefined;
  // With only Hetzner configured, /deploy still exists for `/deploy approve|reject <id>`.
  let envStatus: ((env: string) => Promise<Reply>) | undefined;
  if (envNames.length > 0 || config.hetzner) {
    const deploy = createDeployOp({
      environments: config.environments,
      targetFor: (h) => ({ host: hosts.shellFor(h), compose: hosts.composeFor(h), docker: hosts.dockerFor(h) }),
      store,
      redact,
      log,
      envLocks,
      // A failed pre-deploy backup stops the deploy before the tag changes.
      backupFor: preDeployBackup(jobs.backups),
      // Env routes (strategy: rolling) go through the Caddy configured under previews.proxy, on the env's host.
      routeFor: (envName, hostName) => {
        const proxy = config.previews ? hosts.proxyFor(hostName, config.previews, {}) : undefined;
        return proxy ? { envName, proxy } : undefined;
      },
    });
    if (envNames.length > 0) envStatus = async (env) => envStatusReply(env, await deploy.status(env));
    Object.assign(runners, createDeployRunners(deploy), jobs.restore ? { restore: createRestoreRunner(jobs.restore, config.jobs.time_zone) } : {});
    desk = createApprovalDesk({ approvals, environments: config.environments, notifier, audit, redact, log, runners, policies, replies: approvalReplies, ...clock });
    handlers.push(createDeployHandler({ environments: config.environments, deploy, desk, store, notifier }));
    handlers.push(createRollbackHandler({ environments: config.environments, access: config.access, deploy, desk, store, notifier }));
  }
  const expireApprovals = async (): Promise<void> => {
    await desk?.expireDue().catch((err: unknown) => log.warn({ err }, "could not expire approval requests"));
  };
  return {
    approvals,
    desk,
    ...(envStatus ? { envStatus } : {}),
    runners,
    policies,
    handlers,
    expireApprovals,
    startExpiry() {
      if (!desk) return async () => {};
      const timer = setInterval(() => void expireApprovals(), 60_000);
      timer.unref();
      return async () => clearInterval(timer);
    },
  };
}
