import type { BackupDatabase } from "../../config/jobs-config.js";
import { HostCommandError, OpsError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import { tailLines } from "../adapters/host-command-failure.js";
import type { HostShell } from "../adapters/host-shell.js";
import { withSecretEnv } from "./with-secret-env.js";

export interface RestoreDatabaseOptions {
  host: HostShell;
  db: Pick<BackupDatabase, "host" | "port" | "user">;
  /** The database written: the configured one, or a drill's scratch database. */
  database: string;
  dumpPath: string;
  password: Secret | undefined;
  pgBin?: string;
  timeoutMs: number;
}

/**
 * `pg_restore --clean --if-exists --no-owner --single-transaction` of a `-Fc` dump into `database`
 * on the host: one transaction, so a broken dump leaves the database as it was. The password goes
 * to the host on stdin (PGPASSWORD), never on the command line.
 */
export async function restoreDatabase(options: RestoreDatabaseOptions): Promise<void> {
  const bin = options.pgBin ? `${options.pgBin.replace(/\/+$/, "")}/pg_restore` : "pg_restore";
  const { db } = options;
  const call = withSecretEnv(
    "PGPASSWORD",
    [bin, "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", "-w", "-h", db.host, "-p", String(db.port), "-U", db.user, "-d", options.database, "--", options.dumpPath],
    options.password,
    `database ${options.database}`,
  );
  try {
    await options.host.exec(call.argv, { timeoutMs: options.timeoutMs, ...(call.stdin !== undefined ? { stdin: call.stdin } : {}) });
  } catch (err) {
    if (!(err instanceof HostCommandError)) throw err;
    const lines = err.stderr.split("\n").filter((l) => l.trim() !== "");
    const why = lines.find((l) => /error:|ERROR:|FATAL:/.test(l))?.slice(0, 300) ?? lines.pop()?.slice(0, 300) ?? "";
    throw new OpsError(err.code, `pg_restore into ${options.database} ${err.code === "timeout" ? "timed out" : `exited with code ${err.exitCode ?? "?"}`}${why ? `: ${why}` : ""}`, "Check the dump (pg_restore -l) and the database on the backup host.", {
      cause: err,
      details: tailLines(err.stderr, 10),
    });
  }
}
