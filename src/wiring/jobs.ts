import type { Reply } from "../core/command.js";
import type { Backups, HealthChecks, Jobs } from "../config/jobs-config.js";
import type { Logger } from "../core/logger.js";
import type { Notifier } from "../core/notifier.js";
import type { Redactor } from "../core/redact.js";
import type { Secret } from "../core/secret.js";
import { createBackupHandler } from "../handlers/backup.js";
import type { Handler } from "../handlers/handler.js";
import { createJobsHandler } from "../handlers/jobs.js";
import { createStatusHandler } from "../handlers/status.js";
import type { DockerClient } from "../ops/adapters/docker-client.js";
import type { HostShell } from "../ops/adapters/host-shell.js";
import { createBackupOps, type BackupOps } from "../ops/backups/create-backup-ops.js";
import { createRestoreOp, type RestoreOp } from "../ops/backups/create-restore-op.js";
import { createDrillOp } from "../ops/backups/create-drill-op.js";
import { createBackupDrillJob } from "../jobs/backup-drill-job.js";
import type { ApprovalDesk } from "../ops/approvals/create-approval-desk.js";
import type { ComposeClient } from "../ops/adapters/compose-client.js";
import type { Environments } from "../config/environments-config.js";
import { createHealthMonitor, type HealthMonitor } from "../ops/health/create-health-monitor.js";
import { environmentHttpChecks } from "../ops/health/environment-http-checks.js";
import type { Store } from "../store/store.js";
import { createHealthAlertsJob } from "../jobs/health-alerts-job.js";
import { createPreBackupJob } from "../jobs/pre-backup-job.js";
import { createScheduler, type JobDefinition, type Scheduler } from "../jobs/scheduler.js";
import { createTtlCleanupJob, type ExpiredPreviews, type PruneHost } from "../jobs/ttl-cleanup-job.js";

export interface JobsWiringOptions {
  jobs: Jobs;
  backups: Backups;
  healthChecks: HealthChecks;
  /** Deploy environments: their `health_urls` are watched too (see `environmentHttpChecks`). */
  environments?: Record<string, { health_urls: string[] }>;
  store: Store;
  /** The alert channel. */
  notifier: Notifier;
  redact: Redactor;
  log: Logger;
  shellFor(host: string): HostShell;
  readSecret(name: string): Secret | undefined;
  /** Preview operations and their host, when previews are enabled (for ttl-cleanup). */
  previews?: { source: ExpiredPreviews; host: HostShell; docker: DockerClient; baseDir: string; /** Every pool host, each disk-checked and pruned on its own. */ pruneHosts?: PruneHost[] };
  clock?: () => Date;
  fetch?: typeof fetch;
  /** `/status <env>` (per node of a deploy environment), bound later by the deploys wiring. */
  envStatus?: (env: string) => Promise<Reply>;
  /** `/backup restore`: the deploy environments (protection, compose project, smoke checks) and the approval desk, built later. */
  restore?: { environments: Environments; composeFor(host: string): ComposeClient; desk(): ApprovalDesk | undefined };
}

export interface JobsWiring {
  scheduler: Scheduler;
  backups: BackupOps;
  /** Present when `restore` was given; its approved requests run through the desk's `restore` runner. */
  restore?: RestoreOp;
  monitor: HealthMonitor;
  /** `/jobs`, `/backup`, `/status`. */
  handlers: Handler[];
}

/**
 * Everything scheduled, built from the config: the enabled jobs, the scheduler that runs them,
 * and the handlers that show and trigger them. `src/app.ts` calls this, registers `handlers`,
 * then `scheduler.start()` after start-up reconciliation, and `scheduler.stop()` on close.
 */
export function createJobs(options: JobsWiringOptions): JobsWiring {
  const { jobs, store, notifier, redact, log } = options;
  const zone = jobs.time_zone;
  const clock = options.clock ?? (() => new Date());
  const backups = createBackupOps({ backups: options.backups, store, shellFor: options.shellFor, readSecret: options.readSecret, log, clock, timeZone: zone, alerts: { store, notifier, reminderMs: jobs.health_alerts.reminder_every }, ...(options.fetch ? { fetch: options.fetch } : {}) });
  const restore = options.restore
    ? createRestoreOp({ backups, environments: options.restore.environments, shellFor: options.shellFor, composeFor: options.restore.composeFor, readSecret: options.readSecret, store, log, clock })
    : undefined;
  const restoreWiring = options.restore;
  const drills = createDrillOp({ backups, shellFor: options.shellFor, readSecret: options.readSecret, notifier, store, clock, reminderMs: jobs.health_alerts.reminder_every });
  const checks: HealthChecks = {
    ...options.healthChecks,
    http: [...options.healthChecks.http, ...environmentHttpChecks(options.environments ?? {}, options.healthChecks.http)],
  };
  const monitor = createHealthMonitor({
    checks,
    policy: {
      failuresToOpen: jobs.health_alerts.failures_to_open,
      reminderMs: jobs.health_alerts.reminder_every,
      flapWindow: jobs.health_alerts.flapping.window,
      flapChanges: jobs.health_alerts.flapping.changes,
      stableChecks: jobs.health_alerts.flapping.stable_checks,
    },
    store,
    notifier,
    shellFor: options.shellFor,
    log,
    clock,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const defs: JobDefinition[] = [];
  if (jobs.ttl_cleanup.enabled && options.previews) {
    defs.push(
      createTtlCleanupJob({
        previews: options.previews.source,
        host: options.previews.host,
        docker: options.previews.docker,
        diskPath: options.previews.baseDir,
        ...(options.previews.pruneHosts ? { hosts: options.previews.pruneHosts } : {}),
        cron: jobs.ttl_cleanup.cron,
        thresholdPercent: jobs.ttl_cleanup.prune_disk_threshold_percent,
        pruneOlderThanMs: jobs.ttl_cleanup.prune_older_than,
        notifier,
      }),
    );
  }
  if (jobs.pre_backup.enabled && Object.keys(options.backups).length > 0) defs.push(createPreBackupJob({ backups, time: jobs.pre_backup.time }));
  if (jobs.backup_drill.enabled && Object.keys(options.backups).length > 0) defs.push(createBackupDrillJob({ backups, drills, cron: jobs.backup_drill.cron }));
  const checkCount = checks.http.length + checks.hosts.length;
  if (jobs.health_alerts.enabled && checkCount > 0) defs.push(createHealthAlertsJob({ monitor, everyMs: jobs.health_alerts.every }));
  const scheduler = createScheduler({ jobs: defs, store, notifier, redact, log, timeZone: zone, clock });
  return {
    scheduler,
    backups,
    ...(restore ? { restore } : {}),
    monitor,
    handlers: [
      createJobsHandler({ scheduler, timeZone: zone }),
      createBackupHandler({ ops: backups, timeZone: zone, jobInfo: (name) => scheduler.jobInfo(name), clock, drill: drills, jobs: scheduler, ...(restore && restoreWiring ? { restore, desk: () => restoreWiring.desk() } : {}) }),
      createStatusHandler({ monitor, timeZone: zone, clock, ...(options.envStatus ? { envStatus: options.envStatus } : {}) }),
    ],
  };
}
