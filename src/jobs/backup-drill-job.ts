import { OpsError } from "../core/errors.js";
import type { BackupOps } from "../ops/backups/create-backup-ops.js";
import { drillLine, type DrillOp, type DrillReport } from "../ops/backups/create-drill-op.js";
import type { JobDefinition } from "./scheduler.js";

export const BACKUP_DRILL_JOB = "backup-drill";

/** The weekly restore drill of every environment with backups; fails (and is reported) when any drill failed. */
export function createBackupDrillJob(options: { backups: BackupOps; drills: DrillOp; cron: string }): JobDefinition {
  return {
    name: BACKUP_DRILL_JOB,
    description: "restore the newest dump of each database into a scratch database and check it; restic check of offsite repositories",
    schedule: { kind: "cron", cron: options.cron },
    async run(ctx) {
      const reports: DrillReport[] = [];
      const failures: string[] = [];
      const checks: string[] = [];
      for (const env of options.backups.envs()) {
        try {
          reports.push(...(await options.drills.drill(env, undefined, ctx.trigger)));
        } catch (err) {
          failures.push(`${env}: ${err instanceof Error ? err.message : String(err)}`);
        }
        try {
          const checked = await options.backups.checkOffsite(env);
          if (checked) checks.push(`${env}: ${checked}`);
        } catch (err) {
          failures.push(`${env}: offsite: ${err instanceof Error ? err.message : String(err)}`);
        }
      }
      failures.push(...reports.filter((r) => !r.ok).map(drillLine));
      const summary = `${reports.filter((r) => r.ok).length}/${reports.length} drill(s) passed${checks.length > 0 ? `; ${checks.join("; ")}` : ""}`;
      if (failures.length > 0) throw new OpsError("remote_failed", `backup drill: ${summary}`, "Read the failures, fix the dumps, then run /backup drill <env>.", { details: failures.join("\n") });
      return { summary };
    },
  };
}
