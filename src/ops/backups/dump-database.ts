import type { BackupDatabase } from "../../config/jobs-config.js";
import { HostCommandError, OpsError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import type { HostShell } from "../adapters/host-shell.js";
import { dumpPath, latestDumpPath, partialPath } from "./dump-paths.js";
import { withSecretEnv } from "./with-secret-env.js";

export interface DumpDatabaseOptions {
  host: HostShell;
  db: BackupDatabase;
  password: Secret | undefined;
  dumpDir: string;
  seedDir: string;
  /** Names the file; the pre-backup run's start time. */
  at: Date;
  /** Directory of pg_dump / pg_restore on the host (PATH when unset). */
  pgBin?: string;
  timeoutMs: number;
  /** Copy it to `<seed_dir>/<db>-latest.dump` (default true; a restore's safety dump is not seeded). */
  seedCopy?: boolean;
}

export interface DumpedDatabase {
  path: string;
  latestPath: string;
  bytes: number;
}

/** A fixed script: run the arguments with stdout discarded (pg_restore -l prints the whole TOC). */
const QUIET = '"$@" >/dev/null';

/** Name the step in the error: the wrapper script would otherwise be reported as `sh`. */
async function step<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!(err instanceof HostCommandError)) throw err;
    const last = err.stderr.split("\n").filter((l) => l.trim() !== "").pop()?.slice(0, 300) ?? "";
    const why = err.code === "timeout" ? "timed out" : `exited with code ${err.exitCode ?? "?"}`;
    throw new OpsError(err.code, `${what} ${why}${last ? `: ${last}` : ""}`, "Check the database settings in backups: (host, port, user, password_env) and that pg_dump on the host matches the server version.", { cause: err, details: err.stderr });
  }
}

/**
 * `pg_dump -Fc` of one database on the host into `<dump_dir>/<db>-<stamp>.dump`, checked with
 * `pg_restore -l`, then copied to `<seed_dir>/<db>-latest.dump`. Written under `.partial` names and
 * renamed, so a failed or interrupted dump never looks like a good one; a failed dump leaves nothing.
 */
export async function dumpDatabase(options: DumpDatabaseOptions): Promise<DumpedDatabase> {
  const { host, db, timeoutMs } = options;
  const bin = (name: string): string => (options.pgBin ? `${options.pgBin.replace(/\/+$/, "")}/${name}` : name);
  const final = dumpPath(options.dumpDir, db.name, options.at);
  const partial = partialPath(final);
  const latest = latestDumpPath(options.seedDir, db.name);
  const latestPartial = partialPath(latest);
  // -w: never prompt for a password (a missing one fails at once instead of hanging).
  const dump = withSecretEnv(
    "PGPASSWORD",
    [bin("pg_dump"), "-Fc", "-w", "-h", db.host, "-p", String(db.port), "-U", db.user, "-d", db.name, "-f", partial],
    options.password,
    `database ${db.name}`,
  );
  try {
    await host.exec(["mkdir", "-p", "--", options.dumpDir, options.seedDir], { timeoutMs: 30_000 });
    await step(`pg_dump of ${db.name}`, () => host.exec(dump.argv, { timeoutMs, ...(dump.stdin !== undefined ? { stdin: dump.stdin } : {}) }));
    await step(`pg_restore -l check of the ${db.name} dump`, () => host.exec(["sh", "-c", QUIET, "sh", bin("pg_restore"), "-l", "--", partial], { timeoutMs }));
    await host.exec(["mv", "-f", "--", partial, final], { timeoutMs: 30_000 });
  } catch (err) {
    await host.exec(["rm", "-f", "--", partial], { allowFailure: true, timeoutMs: 30_000 }).catch(() => undefined);
    throw err;
  }
  if (options.seedCopy === false) {
    const size = await host.exec(["stat", "-c", "%s", "--", final], { timeoutMs: 30_000 });
    return { path: final, latestPath: latest, bytes: Number(size.stdout.trim()) };
  }
  try {
    await host.exec(["cp", "--", final, latestPartial], { timeoutMs });
    await host.exec(["mv", "-f", "--", latestPartial, latest], { timeoutMs: 30_000 });
  } catch (err) {
    await host.exec(["rm", "-f", "--", latestPartial], { allowFailure: true, timeoutMs: 30_000 }).catch(() => undefined);
    throw err;
  }
  const size = await host.exec(["stat", "-c", "%s", "--", final], { timeoutMs: 30_000 });
  return { path: final, latestPath: latest, bytes: Number(size.stdout.trim()) };
}
