import type { BackupDatabase } from "../../config/jobs-config.js";
import { HostCommandError, OpsError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import type { HostShell } from "../adapters/host-shell.js";
import { withSecretEnv } from "./with-secret-env.js";

/**
 * A fixed query: exact row counts of every ordinary table outside the system schemas, one
 * `schema.table<TAB>rows` line each (`query_to_xml` runs one count(*) per table inside one statement).
 */
const COUNT_SQL = `SELECT n.nspname || '.' || c.relname, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
ORDER BY 1`;

export interface CountRowsOptions {
  host: HostShell;
  db: Pick<BackupDatabase, "host" | "port" | "user">;
  /** The database counted (the configured one, or a drill's scratch database). */
  database: string;
  password: Secret | undefined;
  pgBin?: string;
  timeoutMs: number;
}

/** `schema.table` → exact rows, by `psql` on the host (password on stdin as PGPASSWORD). */
export async function countRows(options: CountRowsOptions): Promise<Record<string, number>> {
  const psql = options.pgBin ? `${options.pgBin.replace(/\/+$/, "")}/psql` : "psql";
  const { db } = options;
  const call = withSecretEnv(
    "PGPASSWORD",
    [psql, "-X", "-w", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-h", db.host, "-p", String(db.port), "-U", db.user, "-d", options.database, "-c", COUNT_SQL],
    options.password,
    `database ${options.database}`,
  );
  let stdout: string;
  try {
    stdout = (await options.host.exec(call.argv, { timeoutMs: options.timeoutMs, ...(call.stdin !== undefined ? { stdin: call.stdin } : {}) })).stdout;
  } catch (err) {
    if (!(err instanceof HostCommandError)) throw err;
    const last = err.stderr.split("\n").filter((l) => l.trim() !== "").pop()?.slice(0, 300) ?? "";
    throw new OpsError(err.code, `counting the rows of ${options.database} failed${last ? `: ${last}` : ""}`, "Check that psql is installed next to pg_dump on the backup host (pg_bin) and that the backup user may read every table.", { cause: err });
  }
  const counts: Record<string, number> = {};
  for (const line of stdout.split("\n")) {
    const [table, rows] = line.split("\t");
    if (table && rows !== undefined && /^\d+$/.test(rows.trim())) counts[table] = Number(rows.trim());
  }
  return counts;
}
