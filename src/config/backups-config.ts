import { z } from "zod";
import { absPath, configName, envVarName, HostName } from "./common-schemas.js";
import { Duration } from "./duration.js";

/**
 * Backups of each environment (`backups:` in the config): databases, Redis, retention, drills and
 * offsite copies. Re-exported from `jobs-config.ts`, where `checkJobsConfig` checks the host names.
 */

const EnvVarName = envVarName("PG_PASSWORD");
const AbsPath = absPath("/var/backups/opsdeck");
const HttpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://hc-ping.com/<uuid>" });
/** A program argument from the config: printable ASCII, no line breaks. */
const ArgvElement = z.string().min(1).max(500).regex(/^[\x20-\x7e]+$/, "must be printable ASCII without line breaks");

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
