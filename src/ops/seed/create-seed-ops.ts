import type { Environments } from "../../config/environments-config.js";
import type { Seed, SeedDatabase, Seeds } from "../../config/seed-config.js";
import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import type { Secret } from "../../core/secret.js";
import type { Store } from "../../store/store.js";
import type { ComposeClient, ComposeProject } from "../adapters/compose-client.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { EnvLocks } from "../env-locks.js";
import { anonymiseSql, parseRuleCounts, type RuleCount } from "./anonymise-sql.js";
import { copyDump, latestDumpPath, statDump, type DumpInfo } from "./copy-dump.js";
import { acquireHostLock, hostLockPath } from "../host-lock.js";
import { createJournal } from "../journal/create-journal.js";
import { runPg, type PgConnection } from "./pg-command.js";
import { resolveSeedTarget } from "./resolve-seed-target.js";
import { runSmokeChecks, type SmokeResult } from "./smoke-checks.js";
import { ownValue } from "../../core/own-value.js";

export interface SeedOpsOptions {
  seeds: Seeds;
  environments: Environments;
  shellFor(host: string): HostShell;
  composeFor(host: string): ComposeClient;
  store: Store;
  /** Shared with deploys: one seed or deploy per environment at a time. */
  locks: EnvLocks;
  /** A secret environment variable by name (database passwords). */
  readSecret(name: string): Secret | undefined;
  /** When given, each database password is registered so no reply, log or audit line can show it. */
  redact?: Redactor;
  clock?: () => Date;
  smokeTimeoutMs?: number;
}

export interface SeededDatabase {
  name: string;
  dump: DumpInfo;
  /** Age of the data when it was restored. */
  ageMs: number;
  rules: RuleCount[];
}

export interface SeedReport {
  env: string;
  sourceEnv: string;
  databases: SeededDatabase[];
  smoke: SmokeResult[];
  durationMs: number;
  operationId: string;
}

export interface SeedOps {
  /** Check the target before anything runs (the handler calls it from `permission`). */
  resolve(env: string | undefined): { env: string; seed: Seed };
  run(env: string, actor: string, progress: ProgressFn): Promise<SeedReport>;
}

/** Where a seed stands, so a failure can say what state it left behind. */
type Phase = "before-stop" | "stopped" | "restoring" | "anonymising" | "restarting" | "done";

export function createSeedOps(options: SeedOpsOptions): SeedOps {
  const { seeds, environments, store, locks } = options;
  const clock = options.clock ?? (() => new Date());
  const journal = createJournal({ store, clock });

  const resolve = (env: string | undefined): { env: string; seed: Seed } => resolveSeedTarget(env, seeds, environments);

  function passwordsFor(seed: Seed): Map<string, Secret> {
    const out = new Map<string, Secret>();
    for (const db of seed.databases) {
      if (!db.password_env) continue;
      const secret = options.readSecret(db.password_env);
      if (!secret || secret.reveal() === "") {
        throw new OpsError("config", `the password for database ${db.name} is not set (environment variable ${db.password_env})`, `Set ${db.password_env} in the bot's environment and restart it.`);
      }
      options.redact?.add(secret);
      out.set(db.name, secret);
    }
    return out;
  }

  function projectOf(seed: Seed): ComposeProject | undefined {
    const a = seed.app_services;
    return a ? { name: a.project, dir: a.compose_dir, file: a.compose_file } : undefined;
  }

  async function run(envArg: string, actor: string, progress: ProgressFn): Promise<SeedReport> {
    const { env, seed } = resolve(envArg);
    const passwords = passwordsFor(seed);
    const release = locks.acquire(env, `a seed by ${actor}`);
    try {
      const started = clock();
      const op = { id: await journal.begin("seed", env, actor) };
      let phase: Phase = "before-stop";
      let scrubbed = false;
      let left = `${env} was not changed.`;
      const source = options.shellFor(seed.source_host);
      const target = options.shellFor(seed.target_host);
      const targetDir = seed.target_dir ?? `${seed.seed_dir.replace(/\/+$/, "")}/incoming`;
      const project = projectOf(seed);
      const compose = project ? options.composeFor(seed.target_host) : undefined;
      const services = seed.app_services?.services ?? [];
      const steps = project ? 5 : 3;
      let step = 0;
      const say = (text: string): Promise<void> => progress(`Step ${++step}/${steps}: ${text}`);
      const lockMs = seed.timeout * (seed.databases.length * 3 + 4);
      try {
        const lockPath = hostLockPath(env, ownValue(options.environments, env)?.lock_dir ?? seed.lock_dir);
        const hostLock = await acquireHostLock(target, lockPath, {
          leaseMs: lockMs,
          what: `seeding ${env}`,
          privateDir: true,
          busy: { message: `${target.name}: ${lockPath} is locked by another process (a deploy or seed of the same environment)`, nextStep: `Wait for it to finish, or check on ${target.name} with: fuser ${lockPath}` },
        });
        try {
          await say(`copying the latest dumps of ${seed.source_env} from ${source.name} to ${target.name}`);
          const dumps = new Map<string, DumpInfo>();
          for (const db of seed.databases) {
            dumps.set(db.name, await statDump(source, latestDumpPath(seed.seed_dir, db.source_name ?? db.name), seed.source_env));
          }
          const copied = new Map<string, string>();
          for (const db of seed.databases) {
            const dump = dumps.get(db.name) as DumpInfo;
            const to = latestDumpPath(targetDir, db.source_name ?? db.name);
            if (source.name !== target.name || to !== dump.path) await copyDump(source, target, dump, to, seed.timeout);
            copied.set(db.name, to);
          }

          if (project && compose) {
            await say(`stopping ${services.length > 0 ? services.join(", ") : "all services"} of ${project.name}`);
            await compose.stop(project, { services, timeoutMs: 5 * 60_000 });
            phase = "stopped";
          }

          await say(`restoring and anonymising ${seed.databases.map((d) => d.name).join(", ")}`);
          const results: SeededDatabase[] = [];
          for (const db of seed.databases) {
            const conn: PgConnection = { host: target, db, tempDir: targetDir, timeoutMs: seed.timeout, ...(seed.pg_bin ? { pgBin: seed.pg_bin } : {}) };
            const pw = passwords.get(db.name);
            if (pw) conn.password = pw;
            phase = "restoring";
            await runPg(conn, "pg_restore", ["--clean", "--if-exists", "--no-owner", "--single-transaction", "-d", db.name, copied.get(db.name) as string]);
            phase = "anonymising";
            const rules = await anonymise(conn, seed, db).catch(async (err: unknown) => {
              scrubbed = await scrub(conn, copied.get(db.name) as string);
              throw err;
            });
            const dump = dumps.get(db.name) as DumpInfo;
            results.push({ name: db.name, dump, ageMs: clock().getTime() - dump.mtime.getTime(), rules });
          }

          if (project && compose) {
            phase = "restarting";
            await say(`starting ${project.name} again`);
            await compose.up(project, { services, timeoutMs: 5 * 60_000 });
          }
          phase = "done";

          await say(seed.smoke_checks.length > 0 ? `running ${seed.smoke_checks.length} smoke check(s)` : "no smoke checks configured");
          const smoke = await runSmokeChecks(seed.smoke_checks, options.smokeTimeoutMs);
          const failedSmoke = smoke.filter((s) => !s.ok).length;
          const totals = results.map((r) => `${r.name}: ${r.rules.reduce((n, c) => n + c.rows, 0)} rows anonymised`).join("; ");
          await journal.finish(op.id, "succeeded", `${totals}${failedSmoke > 0 ? `; ${failedSmoke} smoke check(s) failed` : ""}`);
          return { env, sourceEnv: seed.source_env, databases: results, smoke, durationMs: clock().getTime() - started.getTime(), operationId: op.id };
        } catch (err) {
          // Still holding the host lock: put the services back (or not) before anyone else starts.
          left = await afterFailure(phase, scrubbed, env, project, compose, services);
          throw err;
        } finally {
          await hostLock.release();
        }
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        await journal.finish(op.id, "failed", `${message} (${left})`).catch(() => undefined);
        if (err instanceof OpsError) {
          throw new OpsError(err.code, `seed of ${env} failed: ${err.message}`, `${left} ${err.nextStep}`, err.details ? { cause: err, details: err.details } : { cause: err });
        }
        throw new OpsError("remote_failed", `seed of ${env} failed: ${message}`, `${left} Check ${seed.target_host} and try again.`, { cause: err });
      }
    } finally {
      release();
    }
  }

  async function anonymise(conn: PgConnection, seed: Seed, db: SeedDatabase): Promise<RuleCount[]> {
    const rules = ownValue(seed.anonymise, db.name) ?? [];
    if (rules.length === 0) return [];
    const sql = anonymiseSql(rules, seed.marker);
    const r = await runPg(conn, "psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db.name], sql);
    return parseRuleCounts(r.stdout, rules);
  }

  /**
   * Anonymisation failed after the restore committed: the database holds real data. Restore the
   * schema only (`--clean` drops every object of the dump first), so the data is gone.
   */
  async function scrub(conn: PgConnection, dump: string): Promise<boolean> {
    return runPg(conn, "pg_restore", ["--clean", "--if-exists", "--no-owner", "--schema-only", "--single-transaction", "-d", conn.db.name, dump]).then(
      () => true,
      () => false,
    );
  }

  /** Restart the services when the data is safe to serve; say what was left behind. */
  async function afterFailure(phase: Phase, scrubbed: boolean, env: string, project: ComposeProject | undefined, compose: ComposeClient | undefined, services: string[]): Promise<string> {
    if (phase === "anonymising") {
      const stopped = project ? `${env}'s services were left stopped. ` : "";
      return scrubbed
        ? `Anonymisation failed, so the restored data was removed again (the tables are empty). ${stopped}Fix the anonymisation rule and run /seed ${env} again.`
        : `${stopped}The restored data may NOT be anonymised and removing it failed: drop or re-seed the database by hand before anyone uses ${env}.`;
    }
    if ((phase === "stopped" || phase === "restoring") && project && compose) {
      // The restore runs in one transaction: a failed one leaves the previous data in place.
      const ok = await compose.up(project, { services, timeoutMs: 5 * 60_000 }).then(() => true, () => false);
      return ok
        ? `${env}'s services were started again; the database being restored kept its previous data (databases finished before it are seeded and anonymised).`
        : `${env}'s services could not be started again; start them by hand.`;
    }
    if (phase === "restarting") return `${env}'s data was seeded and anonymised, but its services did not start; start them by hand.`;
    return `${env} was not changed.`;
  }

  return { resolve, run };
}
