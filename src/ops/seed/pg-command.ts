import { randomBytes } from "node:crypto";
import type { SeedDatabase } from "../../config/seed-config.js";
import { HostCommandError, OpsError } from "../../core/errors.js";
import { tailLines } from "../adapters/host-command-failure.js";
import type { Secret } from "../../core/secret.js";
import type { ExecResult, HostShell } from "../adapters/host-shell.js";

export interface PgConnection {
  host: HostShell;
  db: SeedDatabase;
  /** The database's password, when it has one; it reaches the host only in a temporary .pgpass. */
  password?: Secret;
  /** Directory of the PostgreSQL client programs on the host (PATH when unset). */
  pgBin?: string;
  /** Directory on the host for the temporary .pgpass file. */
  tempDir: string;
  timeoutMs: number;
}

/**
 * A fixed script: its text never changes, everything variable arrives as positional arguments
 * (quoted by the host shell). It points PGPASSFILE at the temporary file, runs the program and
 * removes the file whatever the program's exit status.
 */
const WITH_PGPASS = 'f=$1; shift; PGPASSFILE=$f; export PGPASSFILE; "$@"; rc=$?; rm -f -- "$f"; exit $rc';

/** One .pgpass line (`host:port:db:user:password`), with `\` and `:` escaped as libpq expects. */
export function pgpassLine(db: SeedDatabase, password: string): string {
  if (/[\r\n\0]/.test(password)) {
    throw new OpsError("config", `the password for database ${db.name} contains a line break`, `Set ${db.password_env ?? "its password variable"} to a single-line password.`);
  }
  const esc = (s: string): string => s.replace(/\\/g, "\\\\").replace(/:/g, "\\:");
  return `${esc(db.host)}:${db.port}:*:${esc(db.user)}:${esc(password)}\n`;
}

/** libpq connection options; `-w` so a missing password fails at once instead of waiting for a prompt. */
export function connectionArgs(db: SeedDatabase): string[] {
  return ["-h", db.host, "-p", String(db.port), "-U", db.user, "-w"];
}

/** Run `pg_restore` or `psql` on the host against `conn.db`, the password in a temporary .pgpass (mode 600). */
export async function runPg(conn: PgConnection, program: "pg_restore" | "psql", args: readonly string[], stdin?: string): Promise<ExecResult> {
  const binary = conn.pgBin ? `${conn.pgBin.replace(/\/+$/, "")}/${program}` : program;
  const argv = [binary, ...connectionArgs(conn.db), ...args];
  const options = { timeoutMs: conn.timeoutMs, ...(stdin !== undefined ? { stdin } : {}) };
  if (!conn.password) return conn.host.exec(argv, options).catch((err: unknown) => rethrow(err, conn, program));

  const pgpass = `${conn.tempDir.replace(/\/+$/, "")}/.opsdeck-pgpass-${randomBytes(6).toString("hex")}`;
  await conn.host.writeFile(pgpass, pgpassLine(conn.db, conn.password.reveal()), 0o600);
  try {
    return await conn.host.exec(["sh", "-c", WITH_PGPASS, "sh", pgpass, ...argv], options).catch((err: unknown) => rethrow(err, conn, program));
  } finally {
    // The script removes it; this covers a command that never started or was killed.
    await conn.host.exec(["rm", "-f", "--", pgpass], { allowFailure: true, timeoutMs: 15_000 }).catch(() => undefined);
  }
}

/** Name the program and database, and lift PostgreSQL's own `ERROR:` line into the message. */
function rethrow(err: unknown, conn: PgConnection, program: string): never {
  if (!(err instanceof HostCommandError) || err.code !== "remote_failed" || err.exitCode === null) throw err;
  const lines = err.stderr.split("\n");
  const error = lines.find((l) => /\b(ERROR|FATAL):/.test(l))?.replace(/^.*?\b(ERROR|FATAL):\s*/, "$1: ").slice(0, 300) ?? lines.filter((l) => l.trim() !== "").pop()?.slice(0, 300) ?? "";
  throw new OpsError(
    "remote_failed",
    `${conn.host.name}: ${program} on database ${conn.db.name} exited with code ${err.exitCode}${error ? `: ${error}` : ""}`,
    program === "psql" ? "Check the anonymisation rules for this database against its tables and columns." : "Check the dump and the database (connection, permissions, disk) on the host.",
    { cause: err, details: tailLines(err.stderr, 10) },
  );
}
