import { DateTime } from "luxon";
import { z } from "zod";
import { absPath, configName, envVarName, HostName } from "./common-schemas.js";
import { parseCron } from "../core/cron-next.js";
import { Duration } from "./duration.js";

/**
 * Scheduled jobs, backups and health checks (`jobs:`, `backups:`, `health_checks:` in the config).
 * The lead merges `Jobs`, `Backups` and `HealthChecks` into `Config` and calls
 * `checkJobsConfig` from its `superRefine`, so a backup or check naming an undeclared host fails at
 * start with the list of declared hosts. Alerts go to the injected `Notifier` (the alert channel).
 */

const EnvVarName = envVarName("PG_PASSWORD");
const AbsPath = absPath("/var/backups/opsdeck");
const HttpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://hc-ping.com/<uuid>" });
const CheckName = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, "must be lowercase letters, digits and dashes (e.g. shop-home)");
/** A program argument from the config: printable ASCII, no line breaks. */
const ArgvElement = z.string().min(1).max(500).regex(/^[\x20-\x7e]+$/, "must be printable ASCII without line breaks");

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

export const BackupDatabase = z.strictObject({
  /** Database name; also the dump file prefix. */
  name: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a database name such as shop (lowercase letters, digits, _)")
    .refine((n) => n !== "redis", 'must not be "redis": that name is kept for the Redis snapshot files'),
  /** Where PostgreSQL listens, as seen from the backup host. */
  host: z.string().regex(/^[A-Za-z0-9.:_-]+$/, "must be a host name or address such as 127.0.0.1").default("127.0.0.1"),
  port: z.number().int().min(1).max(65535).default(5432),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,62}$/, "must be a role name such as backup").default("postgres"),
  /** Environment variable of the bot holding the password; sent to the host on stdin only. */
  password_env: EnvVarName.optional(),
});
export type BackupDatabase = z.infer<typeof BackupDatabase>;

export const BackupRedis = z.strictObject({
  /** How to call redis-cli on the host, e.g. `[redis-cli, -p, "6379"]`. */
  cli: z.array(ArgvElement).min(1).default(["redis-cli"]),
  /** Where the server writes its RDB file (`CONFIG GET dir` + `dbfilename`). */
  rdb_path: AbsPath,
  /** Environment variable of the bot holding the Redis password (sent as REDISCLI_AUTH over stdin). */
  password_env: EnvVarName.optional(),
  /** Longest wait for BGSAVE to finish. */
  timeout: Duration.default(300_000),
});
export type BackupRedis = z.infer<typeof BackupRedis>;

/** Grandfather-father-son retention: how many local days, ISO weeks, months and years keep one dump each. */
export const GfsPolicy = z.strictObject({
  daily: z.number().int().min(1).max(366).default(7),
  weekly: z.number().int().min(0).max(520).default(4),
  monthly: z.number().int().min(0).max(240).default(6),
  yearly: z.number().int().min(0).max(100).default(2),
});
export type GfsPolicy = z.infer<typeof GfsPolicy>;

/** `retention: 3d` (age) or `retention: { daily: 7, weekly: 4, monthly: 6, yearly: 2 }` (GFS). */
export const Retention = z.union([Duration, GfsPolicy], { error: "must be a duration such as 3d, or { daily: 7, weekly: 4, monthly: 6, yearly: 2 }" });
export type Retention = z.infer<typeof Retention>;

const TableName = z.string().regex(/^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/, "must be a table name such as orders or public.orders");

/** Restore drills of one environment's dumps (the `backup-drill` job and `/backup drill`). */
export const BackupDrill = z.strictObject({
  /** Databases drilled; default all of the environment's databases. */
  databases: z.array(z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, "must be a database name such as shop")).optional(),
  /** Keep the scratch database after the drill (for a look by hand). */
  keep_scratch: z.boolean().default(false),
  /** The restored database must hold at least this many tables. */
  min_tables: z.number().int().min(0).default(1),
  /** Per table (`orders` or `public.orders`): at least this many rows. */
  min_rows: z.record(TableName, z.number().int().min(0)).default({}),
  /** Each table's restored row count must be within this % of the count recorded at dump time. */
  row_tolerance_pct: z.number().min(0).max(100).default(0),
  /** Longest a drill restore may run. */
  timeout: Duration.default(3_600_000),
});
export type BackupDrill = z.infer<typeof BackupDrill>;

/**
 * Offsite copies with restic (`backups.<env>.offsite`): after each pre-backup the new dumps and
 * their sidecars are sent to the repository by restic running on the backup host; `forget --prune`
 * applies the same retention; the drill job runs `restic check --read-data-subset`.
 */
export const BackupOffsite = z.strictObject({
  /** `sftp:user@host:/path`, `s3:https://host/bucket[/path]` or an absolute local path on the backup host. */
  repository: z
    .string()
    .max(300)
    .regex(/^(sftp:[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:\/?[A-Za-z0-9._\/-]*|s3:https?:\/\/[A-Za-z0-9.:-]+\/[A-Za-z0-9._\/-]+|\/[A-Za-z0-9._\/-]+)$/, "must be sftp:user@host:/path, s3:https://host/bucket or an absolute path")
    .refine((r) => !r.split("/").includes(".."), "must not contain '..'"),
  /** Environment variable of the bot holding the repository password (sent to restic as RESTIC_PASSWORD over stdin). */
  password_env: envVarName("RESTIC_PASSWORD_PROD"),
  /** Variables restic needs (e.g. AWS_ACCESS_KEY_ID) → the bot's environment variable holding each value. */
  env: z.record(envVarName("AWS_ACCESS_KEY_ID"), envVarName("PROD_S3_KEY_ID")).default({}),
  /** `restic check --read-data-subset` of the weekly drill job: `5%` or `n/t`. */
  check_subset: z.string().regex(/^(\d{1,2}(\.\d+)?%|100%|\d+\/\d+)$/, "must be a percentage such as 5% or a fraction such as 1/10").default("5%"),
  /** Extended restic options (`-o key=value`), e.g. `sftp.command=ssh -p 23 u123@u123.your-storagebox.de -s sftp`. */
  options: z.array(ArgvElement).default([]),
  /** Longest a single restic command may run. */
  timeout: Duration.default(3_600_000),
});
export type BackupOffsite = z.infer<typeof BackupOffsite>;

export const EnvironmentBackups = z.strictObject({
  /** Host name from `hosts`: where pg_dump runs and the dumps are kept. */
  host: HostName,
  dump_dir: AbsPath,
  /** Where `<db>-latest.dump` copies are kept for seeding other environments. */
  seed_dir: AbsPath,
  /**
   * Age (`3d`: dumps older than this by the timestamp in their name are deleted) or GFS
   * (`{ daily, weekly, monthly, yearly }`, by the local calendar of `jobs.time_zone`). The newest
   * dump, pinned dumps and safety dumps younger than `safety_keep` are never deleted.
   */
  retention: Retention.default(3 * 86_400_000),
  /** How long the safety dump taken before a `/backup restore` is kept (pinned). */
  safety_keep: Duration.default(7 * 86_400_000),
  /** Compose services of the environment of the same name stopped during a restore and started after (none: nothing is stopped). */
  app_services: z.array(z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, "must be a compose service name such as web")).default([]),
  drill: BackupDrill.default({ keep_scratch: false, min_tables: 1, min_rows: {}, row_tolerance_pct: 0, timeout: 3_600_000 }),
  /** `/backup status` flags a database whose last drill is older than this, or that was never drilled. */
  drill_max_age: Duration.default(8 * 86_400_000),
  databases: z.array(BackupDatabase).default([]),
  redis: BackupRedis.optional(),
  /** Pinged only when every step of a pre-backup run succeeded (dead man's switch). */
  heartbeat_url: HttpUrl.optional(),
  heartbeat_method: z.enum(["GET", "POST"]).default("GET"),
  /** `/backup status` flags a latest dump older than this. */
  freshness: Duration.default(24 * 3_600_000),
  /** `/backup status` flags a latest dump at most this fraction of the previous one's size. */
  small_ratio: z.number().min(0).max(1).default(0.1),
  /** The pre-backup alerts on a dump at least this many times the size of the previous one. */
  large_ratio: z.number().min(1).default(5),
  /** The pre-backup alerts on a dump that took more than this many times the median of the last 10 dumps of its database. */
  slow_ratio: z.number().min(1).default(3),
  /** Offsite copies with restic; none when unset. */
  offsite: BackupOffsite.optional(),
  /** Directory of pg_dump / pg_restore on the host, e.g. /usr/lib/postgresql/15/bin (PATH when unset). */
  pg_bin: AbsPath.optional(),
  /** Longest a single pg_dump may run. */
  dump_timeout: Duration.default(3_600_000),
});
export type EnvironmentBackups = z.infer<typeof EnvironmentBackups>;

/** env name → its backups. */
export const Backups = z.record(configName("must be an environment name such as prod"), EnvironmentBackups).default({});
export type Backups = z.infer<typeof Backups>;

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
