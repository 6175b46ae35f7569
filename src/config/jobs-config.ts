import { DateTime } from "luxon";
import { z } from "zod";
import { absPath, HostName } from "./common-schemas.js";
import type { Backups } from "./backups-config.js";
import { parseCron } from "../core/cron-next.js";
import { Duration } from "./duration.js";

/**
 * Scheduled jobs, backups and health checks (`jobs:`, `backups:`, `health_checks:` in the config).
 * The lead merges `Jobs`, `Backups` and `HealthChecks` into `Config` and calls
 * `checkJobsConfig` from its `superRefine`, so a backup or check naming an undeclared host fails at
 * start with the list of declared hosts. Alerts go to the injected `Notifier` (the alert channel).
 * The `backups:` schemas live in `backups-config.ts` and are re-exported here.
 */

export {
  BackupDatabase,
  BackupDrill,
  BackupOffsite,
  BackupRedis,
  Backups,
  EnvironmentBackups,
  GfsPolicy,
  Retention,
} from "./backups-config.js";

const AbsPath = absPath("/var/backups/opsdeck");
const HttpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://hc-ping.com/<uuid>" });
const CheckName = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, "must be lowercase letters, digits and dashes (e.g. shop-home)");

/** IANA zone such as `Europe/Paris`, checked with luxon (the zone database of this Node build). */
export const TimeZone = z.string().refine((zone) => DateTime.now().setZone(zone).isValid, "must be an IANA time zone such as Europe/Paris or UTC");

const CronExpr = z.string().refine((c) => {
  try {
    parseCron(c);
    return true;
  } catch {
    return false;
  }
}, "must be a 5-field cron expression such as */30 * * * *");

const LocalTime = z.string().regex(/^([01][0-9]|2[0-3]):[0-5][0-9]$/, "must be a local time HH:MM such as 02:55");

export const TtlCleanupJob = z.strictObject({
  enabled: z.boolean().default(true),
  cron: CronExpr.default("*/30 * * * *"),
  /** Images are pruned only when the preview host's disk use is above this. */
  prune_disk_threshold_percent: z.number().int().min(1).max(100).default(80),
  /** `docker image prune -a --filter until=<this>`. */
  prune_older_than: Duration.default(72 * 3_600_000),
});

export const PreBackupJob = z.strictObject({
  enabled: z.boolean().default(true),
  /** Local time in `jobs.time_zone`; runs exactly once per local calendar day. */
  time: LocalTime.default("02:55"),
});

export const BackupDrillJob = z.strictObject({
  enabled: z.boolean().default(true),
  /** Default: Sundays 04:30 in `jobs.time_zone`. */
  cron: CronExpr.default("30 4 * * 0"),
});

export const Flapping = z.strictObject({
  /** Results remembered per check. */
  window: z.number().int().min(3).max(50).default(10),
  /** State changes within the window that make a check "flapping". */
  changes: z.number().int().min(2).max(49).default(4),
  /** Identical results in a row that end flapping. */
  stable_checks: z.number().int().min(2).max(50).default(5),
});

export const HealthAlertsJob = z.strictObject({
  enabled: z.boolean().default(true),
  every: Duration.default(60_000),
  failures_to_open: z.number().int().min(1).max(100).default(2),
  reminder_every: Duration.default(4 * 3_600_000),
  flapping: Flapping.default({ window: 10, changes: 4, stable_checks: 5 }),
});

export const Jobs = z.strictObject({
  time_zone: TimeZone.default("UTC"),
  ttl_cleanup: TtlCleanupJob.default({ enabled: true, cron: "*/30 * * * *", prune_disk_threshold_percent: 80, prune_older_than: 72 * 3_600_000 }),
  pre_backup: PreBackupJob.default({ enabled: true, time: "02:55" }),
  backup_drill: BackupDrillJob.default({ enabled: true, cron: "30 4 * * 0" }),
  health_alerts: HealthAlertsJob.default({
    enabled: true,
    every: 60_000,
    failures_to_open: 2,
    reminder_every: 4 * 3_600_000,
    flapping: { window: 10, changes: 4, stable_checks: 5 },
  }),
});
export type Jobs = z.infer<typeof Jobs>;

export const HttpCheck = z.strictObject({
  name: CheckName,
  url: HttpUrl,
  expect_status: z.number().int().min(100).max(599).default(200),
  max_latency: Duration.default(2_000),
});
export type HttpCheck = z.infer<typeof HttpCheck>;

export const HostCheck = z.strictObject({
  host: HostName,
  /** Filesystem whose use is checked. */
  path: AbsPath.default("/"),
  disk_warn: z.number().min(0).max(100).default(80),
  disk_crit: z.number().min(0).max(100).default(90),
  mem_min_mb: z.number().int().min(0).default(512),
  /** 1-minute load average divided by the CPU count. */
  load_per_cpu: z.number().positive().default(1),
});
export type HostCheck = z.infer<typeof HostCheck>;

export const HealthChecks = z
  .strictObject({
    http: z.array(HttpCheck).default([]),
    hosts: z.array(HostCheck).default([]),
  })
  .default({ http: [], hosts: [] });
export type HealthChecks = z.infer<typeof HealthChecks>;

/** Problems needing the rest of the config; the lead calls this from `Config.superRefine`. */
export function checkJobsConfig(input: { backups: Backups; health_checks: HealthChecks }, hostNames: string[]): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  const declared = `declared: ${hostNames.join(", ")}`;
  for (const [env, b] of Object.entries(input.backups)) {
    if (!hostNames.includes(b.host)) problems.push({ path: ["backups", env, "host"], message: `names host "${b.host}", which is not declared under hosts (${declared})` });
    const seen = new Set<string>();
    b.databases.forEach((db, i) => {
      if (seen.has(db.name)) problems.push({ path: ["backups", env, "databases", i, "name"], message: `database "${db.name}" is listed twice; dump files are named after it` });
      seen.add(db.name);
    });
  }
  input.health_checks.hosts.forEach((h, i) => {
    if (!hostNames.includes(h.host)) problems.push({ path: ["health_checks", "hosts", i, "host"], message: `names host "${h.host}", which is not declared under hosts (${declared})` });
    if (h.disk_crit < h.disk_warn) problems.push({ path: ["health_checks", "hosts", i, "disk_crit"], message: "must not be lower than disk_warn" });
  });
  const names = new Set<string>();
  input.health_checks.http.forEach((c, i) => {
    if (names.has(c.name)) problems.push({ path: ["health_checks", "http", i, "name"], message: `check name "${c.name}" is used twice` });
    names.add(c.name);
  });
  return problems;
}
