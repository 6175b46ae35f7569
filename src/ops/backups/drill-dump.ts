import { DateTime } from "luxon";
import type { BackupDatabase, BackupDrill } from "../../config/jobs-config.js";
import type { Secret } from "../../core/secret.js";
import type { HostShell } from "../adapters/host-shell.js";
import { countRows } from "./count-rows.js";
import type { DrillResult } from "./dump-sidecar.js";
import { restoreDatabase } from "./restore-database.js";
import type { ResolvedDump } from "./resolve-dump.js";
import { withSecretEnv } from "./with-secret-env.js";

export interface DrillDumpOptions {
  host: HostShell;
  db: BackupDatabase;
  dump: ResolvedDump;
  drill: BackupDrill;
  password: Secret | undefined;
  pgBin?: string;
  zone: string;
  now: Date;
  clock: () => Date;
}

/** `<db>_drill_<yyyymmdd>` (local date), at most 63 characters: a valid, unquoted identifier. */
export function scratchName(db: string, now: Date, zone: string): string {
  return `${db.slice(0, 48)}_drill_${DateTime.fromJSDate(now, { zone }).toFormat("yyyyMMdd")}`;
}

/** Judge restored counts against the drill's assertions and the counts recorded at dump time. */
export function judgeDrill(restored: Record<string, number>, recorded: Record<string, number> | undefined, drill: BackupDrill): string[] {
  const problems: string[] = [];
  const tables = Object.keys(restored).length;
  if (tables < drill.min_tables) problems.push(`${tables} table(s), fewer than min_tables ${drill.min_tables}`);
  for (const [table, min] of Object.entries(drill.min_rows)) {
    const key = table.includes(".") ? table : `public.${table}`;
    const rows = restored[key];
    if (rows === undefined) problems.push(`table ${key} is missing (min_rows ${min})`);
    else if (rows < min) problems.push(`${key}: ${rows} row(s), fewer than min_rows ${min}`);
  }
  for (const [table, then] of Object.entries(recorded ?? {})) {
    const rows = restored[table];
    if (rows === undefined) problems.push(`table ${table} (${then} rows at dump time) is missing`);
    else if (Math.abs(rows - then) > (then * drill.row_tolerance_pct) / 100) problems.push(`${table}: ${rows} row(s), ${then} at dump time (tolerance ${drill.row_tolerance_pct} %)`);
  }
  return problems;
}

/**
 * Restore one dump into a scratch database on the backup host, count, judge, and drop the scratch
 * database (unless `keep_scratch`). Never touches the real database. A restore that fails is a
 * failed drill, not an exception.
 */
export async function drillDump(o: DrillDumpOptions): Promise<DrillResult & { scratch: string }> {
  const scratch = scratchName(o.db.name, o.now, o.zone);
  const bin = (p: string): string => (o.pgBin ? `${o.pgBin.replace(/\/+$/, "")}/${p}` : p);
  const conn = ["-w", "-h", o.db.host, "-p", String(o.db.port), "-U", o.db.user];
  const pgExec = async (argv: string[], allowFailure = false): Promise<void> => {
    const call = withSecretEnv("PGPASSWORD", argv, o.password, `database ${o.db.name}`);
    await o.host.exec(call.argv, { timeoutMs: 120_000, allowFailure, ...(call.stdin !== undefined ? { stdin: call.stdin } : {}) });
  };
  const started = o.clock();
  const pg = { host: o.host, db: o.db, database: scratch, password: o.password, ...(o.pgBin ? { pgBin: o.pgBin } : {}), timeoutMs: o.drill.timeout };
  let problems: string[] = [];
  let restored: Record<string, number> = {};
  try {
    await pgExec([bin("dropdb"), ...conn, "--if-exists", "--", scratch]);
    await pgExec([bin("createdb"), ...conn, "--", scratch]);
    await restoreDatabase({ ...pg, dumpPath: o.dump.file.path });
    restored = await countRows(pg);
    problems = judgeDrill(restored, o.dump.sidecar?.tables, o.drill);
  } catch (err) {
    problems = [`restore into ${scratch} failed: ${err instanceof Error ? err.message : String(err)}`];
  } finally {
    if (!o.drill.keep_scratch) await pgExec([bin("dropdb"), ...conn, "--if-exists", "--", scratch], true).catch(() => undefined);
  }
  const rows = Object.values(restored).reduce((a, b) => a + b, 0);
  return { at: o.now.toISOString(), ok: problems.length === 0, durationMs: o.clock().getTime() - started.getTime(), tables: Object.keys(restored).length, rows, problems, scratch };
}
