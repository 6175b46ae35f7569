import { OpsError } from "../core/errors.js";
import { PRE_BACKUP_JOB } from "../core/job-control.js";
import { summarizeReport, type BackupOps, type BackupReport } from "../ops/backups/create-backup-ops.js";
import { reportFailures } from "../ops/backups/report-failures.js";
import type { JobDefinition } from "./scheduler.js";

/**
 * The daily pre-backup (02:55 in the configured zone): every environment with backups, one after
 * the other. One environment failing does not stop the others; the job fails (and is reported
 * to the alert channel) when any step of any environment failed.
 */
export function createPreBackupJob(options: { backups: BackupOps; time: string }): JobDefinition {
  return {
    name: PRE_BACKUP_JOB,
    description: "pg_dump every database, Redis BGSAVE, retention, seed copies, heartbeat",
    schedule: { kind: "daily", time: options.time },
    async run(ctx) {
      const reports: BackupReport[] = [];
      const failures: string[] = [];
      const only = ctx.input?.env;
      for (const env of only !== undefined ? [only] : options.backups.envs()) {
        try {
          const r = await options.backups.run(env, ctx.input?.progress, ctx.trigger === "schedule" ? undefined : ctx.trigger);
          reports.push(r);
          failures.push(...reportFailures(r));
        } catch (err) {
          failures.push(`${env}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      const summary = reports.map(summarizeReport).join("; ") || "no environment has backups configured";
      if (failures.length > 0) {
        throw new OpsError("remote_failed", `pre-backup failed: ${failures.length} problem(s) — ${summary}`, "Read the details, fix the cause, then run /backup run <env>. No heartbeat was sent for a failed environment.", {
          details: failures.join("\n"),
        });
      }
      return { summary };
    },
  };
}
