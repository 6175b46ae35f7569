import type { BackupReport } from "./create-backup-ops.js";

/** Failure lines of a report: what failed, with its message (the job's alert and `/backup run`'s reply). */
export function reportFailures(r: BackupReport): string[] {
  return [
    ...r.databases.filter((d) => !d.ok).map((d) => `${r.env}/${d.name}: ${d.error ?? "failed"}`),
    ...(r.redis && !r.redis.ok ? [`${r.env}/redis: ${r.redis.error ?? "failed"}`] : []),
    ...(r.retentionError ? [`${r.env}: retention: ${r.retentionError}`] : []),
    ...(r.offsite && !r.offsite.ok ? [`${r.env}: offsite: ${r.offsite.error ?? "failed"}`] : []),
    ...(r.heartbeatError ? [`${r.env}: ${r.heartbeatError}`] : []),
  ];
}
