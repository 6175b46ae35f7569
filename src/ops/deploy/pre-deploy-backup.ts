import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import { summarizeReport, type BackupOps } from "../backups/create-backup-ops.js";

/**
 * `backupFor` for the deploy op from the backups feature: environments with backups configured
 * get a pre-deploy backup; a failed one stops the deploy before the tag changes.
 */
export function preDeployBackup(backups: BackupOps): (env: string) => ((progress: ProgressFn) => Promise<void>) | undefined {
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
