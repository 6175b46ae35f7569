import { randomBytes } from "node:crypto";

/**
 * Where the pre-backup puts its files. Other features (seed, runbooks) find dumps through these
 * functions only, so the layout can change in one place. Stable API:
 *
 * - `<dump_dir>/<db>-<YYYYMMDDTHHMMSSZ>.dump` — one pg_dump (custom format) per run, UTC timestamp;
 * - `<seed_dir>/<db>-latest.dump` — a copy of the newest successful dump, for seeding;
 * - `<dump_dir>/redis-<YYYYMMDDTHHMMSSZ>.rdb` and `<seed_dir>/redis-latest.rdb` for Redis.
 *
 * Files are written as `<name>.<random>.partial` and renamed when complete, so a name matching
 * these patterns is always a finished file (and two writers never share a temporary file).
 */

/** Database names allowed in file names (same rule as the config). */
const DB_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const STAMP = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

/** The name used for the Redis snapshot files. */
export const REDIS_BASENAME = "redis";

function checkName(db: string): string {
  if (!DB_NAME.test(db) && db !== REDIS_BASENAME) throw new Error(`invalid database name for a dump file: ${JSON.stringify(db)}`);
  return db;
}

function trimDir(dir: string): string {
  return dir.replace(/\/+$/, "") || "/";
}

/** `20261123T025500Z` (UTC, no separators: safe in a file name, sorts by time). */
export function dumpTimestamp(at: Date): string {
  return at.toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
}

/** Parse `20261123T025500Z`; `null` when it is not one. */
export function parseDumpTimestamp(stamp: string): Date | null {
  const m = STAMP.exec(stamp);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, s);
  return Number.isNaN(t) ? null : new Date(t);
}

/** `<db>-<stamp>.dump` */
export function dumpFileName(db: string, at: Date): string {
  return `${checkName(db)}-${dumpTimestamp(at)}.dump`;
}

/** `<dump_dir>/<db>-<stamp>.dump` */
export function dumpPath(dumpDir: string, db: string, at: Date): string {
  return `${trimDir(dumpDir)}/${dumpFileName(db, at)}`;
}

/** `<seed_dir>/<db>-latest.dump`: the newest successful dump of `db`. */
export function latestDumpPath(seedDir: string, db: string): string {
  return `${trimDir(seedDir)}/${checkName(db)}-latest.dump`;
}

/** `<dump_dir>/redis-<stamp>.rdb` */
export function redisSnapshotPath(dumpDir: string, at: Date): string {
  return `${trimDir(dumpDir)}/${REDIS_BASENAME}-${dumpTimestamp(at)}.rdb`;
}

/** `<seed_dir>/redis-latest.rdb` */
export function latestRedisSnapshotPath(seedDir: string): string {
  return `${trimDir(seedDir)}/${REDIS_BASENAME}-latest.rdb`;
}

/** The `find -name` pattern matching every timestamped file of `db` (`.dump`) or Redis (`.rdb`). */
export function dumpGlob(db: string): string {
  return db === REDIS_BASENAME ? `${REDIS_BASENAME}-*.rdb` : `${checkName(db)}-*.dump`;
}

/** The time in a timestamped file name of `db` (`shop-20261123T025500Z.dump` → Date), else `null`. */
export function parseDumpFileName(db: string, fileName: string): Date | null {
  const ext = db === REDIS_BASENAME ? ".rdb" : ".dump";
  const prefix = `${db}-`;
  if (!fileName.startsWith(prefix) || !fileName.endsWith(ext)) return null;
  return parseDumpTimestamp(fileName.slice(prefix.length, -ext.length));
}

/** A temporary name next to `path` for writing it before the rename: `<path>.<random>.partial`. */
export function partialPath(path: string): string {
  return `${path}.${randomBytes(4).toString("hex")}.partial`;
}

/** `find -name` pattern of temporary files left by an interrupted run. */
export const PARTIAL_GLOB = "*.partial";
