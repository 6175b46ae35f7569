import type { Environments } from "../../config/environments-config.js";
import type { BackupDatabase } from "../../config/jobs-config.js";
import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Secret } from "../../core/secret.js";
import type { Store } from "../../store/store.js";
import type { ComposeClient, ComposeProject } from "../adapters/compose-client.js";
import type { HostShell } from "../adapters/host-shell.js";
import { createJournal } from "../journal/create-journal.js";
import { runSmokeChecks, type SmokeResult } from "../seed/smoke-checks.js";
import type { BackupOps } from "./create-backup-ops.js";
import { dumpDatabase } from "./dump-database.js";
import { updateSidecar } from "./dump-sidecar.js";
import { dumpId } from "./list-backups.js";
import { listDumps } from "./list-dumps.js";
import { resolveDump, type ResolvedDump } from "./resolve-dump.js";
import { restoreDatabase } from "./restore-database.js";
import { fetchOffsiteDump, resolveOffsiteDump } from "./fetch-offsite-dump.js";
import type { OffsiteSnapshot } from "./offsite-repository.js";

/** Where a restore takes its dump from: the backup host's dump_dir, or the restic repository (`--from offsite`). */
export type RestoreSource = "local" | "offsite";

export interface RestorePlan {
  env: string;
  db: string;
  dump: ResolvedDump;
  protected: boolean;
  /** Compose services stopped around the restore (none: nothing is stopped). */
  services: string[];
  project?: ComposeProject;
  smokeChecks: number;
  steps: string[];
  from: RestoreSource;
  /** The restic snapshot holding the dump (`from: "offsite"`). */
  snapshot?: OffsiteSnapshot;
}

export interface RestoreOutcome {
  plan: RestorePlan;
  ok: boolean;
  safetyId: string;
  /** The restore failed and the safety dump was put back (`true`), or putting it back failed too (`"failed"`). */
  rolledBack: boolean | "failed";
  error?: string;
  smoke: SmokeResult[];
  durationMs: number;
  operationId: string;
}

export interface RestoreOpOptions {
  backups: BackupOps;
  environments: Environments;
  shellFor(host: string): HostShell;
  composeFor(host: string): ComposeClient;
  readSecret(name: string): Secret | undefined;
  store: Store;
  log: Logger;
  clock?: () => Date;
  smokeTimeoutMs?: number;
}

export interface RestoreOp {
  /** Check everything the restore needs and say what it would do; changes nothing. */
  plan(env: string, db: string, ref: string, from?: RestoreSource): Promise<RestorePlan>;
  /** Run it: safety dump → stop services → pg_restore → start → smoke checks; on failure put the safety dump back. */
  run(input: { env: string; db: string; ref: string; actor: string; progress: ProgressFn; from?: RestoreSource }): Promise<RestoreOutcome>;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** `/backup restore`: a dump back into the environment's database, with a way back. One restore per environment at a time. */
export function createRestoreOp(options: RestoreOpOptions): RestoreOp {
  const { backups, environments, store, log } = options;
  const clock = options.clock ?? (() => new Date());
  const journal = createJournal({ store, clock });
  const running = new Set<string>();

  function password(db: BackupDatabase): Secret | undefined {
    if (!db.password_env) return undefined;
    const s = options.readSecret(db.password_env);
    if (!s) throw new OpsError("config", `database ${db.name}: environment variable ${db.password_env} is not set`, `Set ${db.password_env} in opsdeck's environment and restart it.`);
    return s;
  }

  async function plan(env: string, db: string, ref: string, from: RestoreSource = "local"): Promise<RestorePlan> {
    const cfg = backups.configOf(env);
    const restic = from === "offsite" ? backups.offsite(env) : undefined;
    if (from === "offsite" && !restic) throw new OpsError("config", `${env} has no offsite repository`, `Configure backups.${env}.offsite, or restore a local dump (without --from offsite).`);
    if (restic && !cfg.databases.some((d) => d.name === db)) throw new OpsError("not_found", `${env} has no database "${db}" in its backups`, `Databases of ${env}: ${cfg.databases.map((d) => d.name).join(", ") || "none"}.`);
    const snapshot = restic ? await resolveOffsiteDump(restic, env, db, ref) : undefined;
    const dump = snapshot ? { id: snapshot.dumpId, file: { path: snapshot.path, fileName: snapshot.path.slice(snapshot.path.lastIndexOf("/") + 1), stampedAt: snapshot.time, modifiedAt: snapshot.time, bytes: 0 } } : await resolveDump(options.shellFor(cfg.host), env, cfg, db, ref);
    const envCfg = Object.hasOwn(environments, env) ? environments[env] : undefined;
    if (cfg.app_services.length > 0 && !envCfg) {
      throw new OpsError("config", `backups.${env}.app_services names services, but there is no environment ${env} with their compose project`, `Add environments.${env} (host, compose_dir, project) or remove app_services.`);
    }
    const project = envCfg ? { name: envCfg.project, dir: envCfg.compose_dir, file: envCfg.compose_file } : undefined;
    const services = cfg.app_services;
    const smokeChecks = envCfg?.smoke_checks.length ?? 0;
    const steps = [
      `safety dump of ${db} (pinned, kept ${Math.round(cfg.safety_keep / 86_400_000)} day(s))`,
      services.length > 0 && project ? `stop ${services.join(", ")} of ${project.name}` : "no app services configured to stop (backups.<env>.app_services)",
      ...(snapshot ? [`restic restore of snapshot ${snapshot.id} (${dump.id}) from ${restic?.offsite.repository ?? "?"} into a temporary directory on ${cfg.host}`] : []),
      `pg_restore ${dump.id} into ${db} (one transaction)`,
      ...(services.length > 0 && project ? [`start ${services.join(", ")} of ${project.name}`] : []),
      smokeChecks > 0 ? `run ${smokeChecks} smoke check(s)` : "no smoke checks configured",
      "on any failure: restore the safety dump and start the services again",
    ];
    return { env, db, dump, protected: envCfg?.protected ?? false, services, ...(project ? { project } : {}), smokeChecks, steps, from, ...(snapshot ? { snapshot } : {}) };
  }

  async function execute(p: RestorePlan, actor: string, progress: ProgressFn): Promise<RestoreOutcome> {
    const cfg = backups.configOf(p.env);
    const host = options.shellFor(cfg.host);
    const db = cfg.databases.find((d) => d.name === p.db) as BackupDatabase;
    const envCfg = Object.hasOwn(environments, p.env) ? environments[p.env] : undefined;
    const compose = envCfg && p.project && p.services.length > 0 ? options.composeFor(envCfg.host) : undefined;
    const pw = password(db);
    const started = clock();
    const op = { id: await journal.begin("restore", `${p.env}/${p.db}`, actor) };
    const pg = { host, db, database: db.name, password: pw, ...(cfg.pg_bin ? { pgBin: cfg.pg_bin } : {}), timeoutMs: cfg.dump_timeout };
    const finish = async (o: Omit<RestoreOutcome, "plan" | "durationMs" | "operationId">): Promise<RestoreOutcome> => {
      const summary = o.ok ? `restored ${p.dump.id}; safety dump ${o.safetyId}` : `failed: ${o.error ?? "?"}; ${o.rolledBack === true ? `safety dump ${o.safetyId} restored` : o.rolledBack === "failed" ? "safety dump restore FAILED" : "nothing changed"}`;
      await journal.finish(op.id, o.ok ? "succeeded" : "failed", summary);
      return { ...o, plan: p, durationMs: clock().getTime() - started.getTime(), operationId: op.id };
    };
    const stop = async (): Promise<void> => {
      if (!compose || !p.project) return;
      await progress(`stopping ${p.services.join(", ")} of ${p.project.name}`);
      await compose.stop(p.project, { services: p.services, timeoutMs: 5 * 60_000 });
    };
    const start = async (): Promise<void> => {
      if (!compose || !p.project) return;
      await progress(`starting ${p.services.join(", ")} of ${p.project.name}`);
      await compose.start(p.project, { services: p.services, timeoutMs: 5 * 60_000 });
    };

    // 1. Safety dump: nothing is touched until it exists.
    await progress(`taking a safety dump of ${p.db}`);
    let safetyPath: string;
    try {
      // Never the same second as an existing dump: that name would overwrite it (perhaps the one being restored).
      const newest = (await listDumps(host, cfg.dump_dir, db.name)).reduce((t, f) => Math.max(t, f.stampedAt.getTime()), 0);
      const at = new Date(Math.max(Math.floor(started.getTime() / 1000) * 1000, newest + 1000));
      const out = await dumpDatabase({ host, db, password: pw, dumpDir: cfg.dump_dir, seedDir: cfg.seed_dir, at, timeoutMs: cfg.dump_timeout, seedCopy: false, ...(cfg.pg_bin ? { pgBin: cfg.pg_bin } : {}) });
      safetyPath = out.path;
      await updateSidecar(host, safetyPath, { safety: true, keepUntil: new Date(started.getTime() + cfg.safety_keep).toISOString() });
    } catch (err) {
      return finish({ ok: false, safetyId: "", rolledBack: false, error: `the safety dump failed, so nothing was restored: ${message(err)}`, smoke: [] });
    }
    const safetyId = dumpId(safetyPath.slice(safetyPath.lastIndexOf("/") + 1));
    await progress(`safety dump ${safetyId} taken`);

    let stopped = false;
    let failure: string | undefined;
    let smoke: SmokeResult[] = [];
    try {
      await stop();
      stopped = true;
      await progress(`restoring ${p.dump.id} into ${p.db}`);
      await restoreDatabase({ ...pg, dumpPath: p.dump.file.path });
      await start();
      stopped = false;
      if (p.smokeChecks > 0 && envCfg) {
        await progress(`running ${p.smokeChecks} smoke check(s)`);
        smoke = await runSmokeChecks(envCfg.smoke_checks, options.smokeTimeoutMs);
        const bad = smoke.filter((s) => !s.ok);
        if (bad.length > 0) throw new OpsError("health_failed", `${bad.length} smoke check(s) failed after the restore: ${bad.map((s) => `${s.url} → ${s.status ?? s.error ?? "?"}`).join(", ")}`, "See the checks above.");
      }
      await progress("restore finished");
      return finish({ ok: true, safetyId, rolledBack: false, smoke });
    } catch (err) {
      failure = message(err);
      log.error({ err, env: p.env, db: p.db }, "restore failed; restoring the safety dump");
    }

    // The way back: the data as it was just before, then the services again.
    await progress(`restore failed (${failure}); restoring the safety dump ${safetyId}`);
    try {
      if (!stopped) await stop();
      await restoreDatabase({ ...pg, dumpPath: safetyPath });
      await start();
      await progress(`safety dump ${safetyId} restored`);
      return finish({ ok: false, safetyId, rolledBack: true, error: failure, smoke });
    } catch (err) {
      log.error({ err, env: p.env, db: p.db }, "restoring the safety dump failed");
      return finish({ ok: false, safetyId, rolledBack: "failed", error: `${failure}; then restoring the safety dump failed too: ${message(err)}`, smoke });
    }
  }

  return {
    plan,
    async run({ env, db, ref, actor, progress, from = "local" }) {
      if (running.has(env)) throw new OpsError("busy", `a restore of ${env} is already running`, "Wait for it to finish; its progress is in the channel.");
      running.add(env);
      try {
        const p = await plan(env, db, ref, from);
        const restic = backups.offsite(env);
        if (!p.snapshot || !restic) return await execute(p, actor, progress);
        await progress(`fetching ${p.dump.id} from the offsite repository (restic restore of snapshot ${p.snapshot.id})`);
        const fetched = await fetchOffsiteDump(restic, db, p.snapshot);
        try {
          return await execute({ ...p, dump: fetched.dump }, actor, progress);
        } finally {
          await fetched.cleanup();
        }
      } finally {
        running.delete(env);
      }
    },
  };
}
