import type { Backups, EnvironmentBackups } from "../../config/jobs-config.js";
import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Secret } from "../../core/secret.js";
import type { HostShell } from "../adapters/host-shell.js";
import { applyRetention } from "./apply-retention.js";
import { countRows } from "./count-rows.js";
import { updateSidecar } from "./dump-sidecar.js";
import { listBackups, type DatabaseBackups } from "./list-backups.js";
import { getBackupStatus, type EnvBackupStatus } from "./backup-status.js";
import { dumpDatabase } from "./dump-database.js";
import { REDIS_BASENAME } from "./dump-paths.js";
import { sendHeartbeat } from "./send-heartbeat.js";
import { snapshotRedis } from "./snapshot-redis.js";
import { ownValue } from "../../core/own-value.js";
import type { CheckResult } from "../health/alert-state.js";
import { postBackupAlerts, type BackupAlertsOptions } from "./backup-alerts.js";
import { detectAnomalies } from "./detect-anomalies.js";
import { checkOffsite, listOffsite, type OffsiteSnapshot } from "./offsite-repository.js";
import { pinDump } from "./pin-dump.js";
import { runOffsiteStep, type OffsiteStepResult } from "./offsite-step.js";
import type { ResticContext } from "./restic-command.js";
import type { Store } from "../../store/store.js";
import { createJournal } from "../journal/create-journal.js";
import { message, summarizeReport, type BackupReport, type StepResult } from "./backup-report.js";

export { summarizeReport, type BackupReport, type StepResult } from "./backup-report.js";

export interface BackupOpsOptions {
  backups: Backups;
  /** The shell of a host declared in the config. */
  shellFor(host: string): HostShell;
  /** Read a secret from the bot's environment by variable name (config `password_env`). */
  readSecret(name: string): Secret | undefined;
  log: Logger;
  clock?: () => Date;
  fetch?: typeof fetch;
  /** `jobs.time_zone`: GFS retention counts local days, weeks, months and years (default UTC). */
  timeZone?: string;
  /** Size, duration and offsite-copy anomalies go through the alert state machine to this channel (none: not alerted). */
  alerts?: BackupAlertsOptions;
  /** The state store: each pre-backup run is an operations-journal entry (kind `backup`). */
  store?: Store;
}

export interface BackupOps {
  /** Environments with backups configured. */
  envs(): string[];
  /** The pre-backup of one environment: dumps, Redis, retention, seed copies, then the heartbeat only if all of it worked. */
  run(env: string, progress?: ProgressFn, actor?: string): Promise<BackupReport>;
  status(env?: string): Promise<EnvBackupStatus[]>;
  /** The dumps of every database (or `db`) of `env` with tier, pin, drill and the next retention's verdict. */
  list(env: string, db?: string): Promise<DatabaseBackups[]>;
  /** The environment's backup config; throws `not_found` naming the configured ones. */
  configOf(env: string): EnvironmentBackups;
  readonly timeZone: string;
  /** restic on the environment's backup host, when `offsite` is configured. */
  offsite(env: string): ResticContext | undefined;
  /** The offsite snapshots of `env` (or one database), newest first; `[]` without `offsite`. */
  listOffsite(env: string, db?: string): Promise<OffsiteSnapshot[]>;
  /** `restic check --read-data-subset` of the environment's repository; `undefined` without `offsite`. */
  checkOffsite(env: string): Promise<string | undefined>;
  /** Pin (kept by retention, never deleted) or unpin one dump; returns its id. */
  pin(env: string, id: string, pinned: boolean): Promise<string>;
  /** The last report of `env` in this process (what `/backup run` replies after running the job). */
  lastReport(env: string): BackupReport | undefined;
}

/** Backups: the pre-backup run per environment and `/backup status`. One run per environment at a time. */
export function createBackupOps(options: BackupOpsOptions): BackupOps {
  const { backups, log } = options;
  const clock = options.clock ?? (() => new Date());
  const running = new Set<string>();
  const zone = options.timeZone ?? "UTC";
  const last = new Map<string, BackupReport>();

  function offsite(env: string): ResticContext | undefined {
    const cfg = configOf(env);
    return cfg.offsite ? { host: options.shellFor(cfg.host), offsite: cfg.offsite, readSecret: options.readSecret, zone } : undefined;
  }
  const journal = options.store ? createJournal({ store: options.store, clock }) : undefined;

  function configOf(env: string): EnvironmentBackups {
    const cfg = ownValue(backups, env);
    if (!cfg) {
      const known = Object.keys(backups);
      throw new OpsError("not_found", `no backups are configured for environment "${env}"`, known.length ? `Environments with backups: ${known.join(", ")}.` : "Add a backups: section to the config.");
    }
    return cfg;
  }

  function secret(name: string | undefined, what: string): Secret | undefined {
    if (!name) return undefined;
    const s = options.readSecret(name);
    if (!s) throw new OpsError("config", `${what}: environment variable ${name} is not set`, `Set ${name} in opsdeck's environment and restart it.`);
    return s;
  }

  async function runEnv(env: string, cfg: EnvironmentBackups, progress: ProgressFn): Promise<BackupReport> {
    const startedAt = clock();
    const host = options.shellFor(cfg.host);
    const databases: StepResult[] = [];
    const anomalies: CheckResult[] = [];
    for (const db of cfg.databases) {
      await progress(`${env}: dumping ${db.name}`);
      try {
        const t0 = Date.now();
        const out = await dumpDatabase({
          host,
          db,
          password: secret(db.password_env, `database ${db.name}`),
          dumpDir: cfg.dump_dir,
          seedDir: cfg.seed_dir,
          at: startedAt,
          timeoutMs: cfg.dump_timeout,
          ...(cfg.pg_bin ? { pgBin: cfg.pg_bin } : {}),
        });
        const dumpMs = Date.now() - t0;
        databases.push({ name: db.name, ok: true, path: out.path, bytes: out.bytes });
        try {
          await updateSidecar(host, out.path, { dumpMs });
          anomalies.push(...(await detectAnomalies(host, cfg, env, db.name, out.path, dumpMs)));
        } catch (err) {
          log.warn({ err, env, db: db.name }, "could not judge the dump's size and duration");
        }
        // Row counts at dump time, for the restore drill's tolerance check; a failure here does not fail the dump.
        try {
          const tables = await countRows({ host, db, database: db.name, password: secret(db.password_env, `database ${db.name}`), ...(cfg.pg_bin ? { pgBin: cfg.pg_bin } : {}), timeoutMs: cfg.dump_timeout });
          await updateSidecar(host, out.path, { tables });
        } catch (err) {
          log.warn({ err, env, db: db.name }, "could not record row counts next to the dump");
        }
      } catch (err) {
        log.error({ err, env, db: db.name }, "database dump failed");
        databases.push({ name: db.name, ok: false, error: message(err) });
      }
    }
    let redis: StepResult | undefined;
    if (cfg.redis) {
      await progress(`${env}: redis BGSAVE`);
      try {
        const snap = await snapshotRedis({ host, redis: cfg.redis, password: secret(cfg.redis.password_env, "redis"), dumpDir: cfg.dump_dir, seedDir: cfg.seed_dir, at: startedAt });
        redis = { name: REDIS_BASENAME, ok: true, path: snap.path, bytes: snap.bytes };
      } catch (err) {
        log.error({ err, env }, "redis snapshot failed");
        redis = { name: REDIS_BASENAME, ok: false, error: message(err) };
      }
    }
    await progress(`${env}: retention`);
    let deleted: string[] = [];
    let retentionError: string | undefined;
    try {
      const names = [...cfg.databases.map((d) => d.name), ...(cfg.redis ? [REDIS_BASENAME] : [])];
      deleted = await applyRetention({ host, dir: cfg.dump_dir, seedDir: cfg.seed_dir, names, retention: cfg.retention, zone, now: startedAt });
    } catch (err) {
      retentionError = message(err);
    }
    let offsiteResult: OffsiteStepResult | undefined;
    const restic = offsite(env);
    if (restic) {
      await progress(`${env}: offsite copy to ${restic.offsite.repository}`);
      const step = await runOffsiteStep(restic, env, cfg, [...databases, ...(redis ? [redis] : [])], progress, log);
      offsiteResult = step.result;
      anomalies.push(step.alert);
    }
    if (options.alerts) await postBackupAlerts(options.alerts, anomalies, clock()).catch((err: unknown) => log.error({ err, env }, "could not post backup alerts"));
    const stepsOk = databases.every((d) => d.ok) && (redis?.ok ?? true) && retentionError === undefined && (offsiteResult?.ok ?? true);
    let heartbeat: BackupReport["heartbeat"] = "not configured";
    let heartbeatError: string | undefined;
    if (cfg.heartbeat_url) {
      if (!stepsOk) heartbeat = "skipped";
      else {
        try {
          await sendHeartbeat(cfg.heartbeat_url, cfg.heartbeat_method, options.fetch ?? fetch);
          heartbeat = "sent";
        } catch (err) {
          heartbeat = "failed";
          heartbeatError = message(err);
        }
      }
    }
    const report: BackupReport = {
      env,
      startedAt,
      endedAt: clock(),
      databases,
      ...(redis ? { redis } : {}),
      deleted,
      ...(retentionError ? { retentionError } : {}),
      ...(offsiteResult ? { offsite: offsiteResult } : {}),
      heartbeat,
      ...(heartbeatError ? { heartbeatError } : {}),
      ok: stepsOk && heartbeat !== "failed",
    };
    last.set(env, report);
    return report;
  }

  return {
    timeZone: zone,
    configOf,
    offsite,
    lastReport: (env) => last.get(env),
    async listOffsite(env, db) {
      const ctx = offsite(env);
      return ctx ? listOffsite(ctx, env, db) : [];
    },
    async checkOffsite(env) {
      const ctx = offsite(env);
      return ctx ? checkOffsite(ctx) : undefined;
    },
    async pin(env, id, pinned) {
      const cfg = configOf(env);
      return pinDump(options.shellFor(cfg.host), env, cfg, id, pinned, offsite(env));
    },
    envs: () => Object.keys(backups),
    async list(env, db) {
      const cfg = configOf(env);
      const names = cfg.databases.map((d) => d.name);
      if (db !== undefined && !names.includes(db)) {
        throw new OpsError("not_found", `${env} has no database "${db}" in its backups`, `Databases of ${env}: ${names.join(", ") || "none"}.`);
      }
      return listBackups(options.shellFor(cfg.host), cfg, db === undefined ? names : [db], zone, clock());
    },
    async run(env, progress = async () => {}, actor = "job:pre-backup") {
      const cfg = configOf(env);
      if (running.has(env)) {
        throw new OpsError("busy", `a backup of ${env} is already running`, "Wait for it to finish; /backup status shows the result.");
      }
      running.add(env);
      try {
        if (!journal) return await runEnv(env, cfg, progress);
        return await journal.run("backup", env, actor, () => runEnv(env, cfg, progress), { outcome: (r) => ({ status: r.ok ? "succeeded" : "failed", summary: summarizeReport(r) }) });
      } finally {
        running.delete(env);
      }
    },
    async status(env) {
      const envs = env === undefined ? Object.keys(backups) : [env];
      const out: EnvBackupStatus[] = [];
      for (const e of envs) out.push(await getBackupStatus(e, configOf(e), options.shellFor(configOf(e).host), clock()));
      return out;
    },
  };
}
