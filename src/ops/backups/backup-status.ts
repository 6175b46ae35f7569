import type { EnvironmentBackups } from "../../config/jobs-config.js";
import type { HostShell } from "../adapters/host-shell.js";
import { REDIS_BASENAME } from "./dump-paths.js";
import { listDumps, type DumpFile } from "./list-dumps.js";

export type DumpFlag = "missing" | "stale" | "small";

export interface DumpStatus {
  name: string;
  latest?: DumpFile;
  previous?: DumpFile;
  /** Now minus the latest dump's modification time. */
  ageMs?: number;
  flags: DumpFlag[];
}

export interface EnvBackupStatus {
  env: string;
  host: string;
  freshnessMs: number;
  smallRatio: number;
  databases: DumpStatus[];
  redis?: DumpStatus;
  /** No flag on any database or Redis. */
  ok: boolean;
}

/**
 * Judge the newest dump of one database: `missing` when there is none, `stale` when it was
 * written longer ago than `freshnessMs`, `small` when it is at most `smallRatio` of the size of
 * the dump before it (a dump that suddenly shrinks by 90 % usually means lost data or a
 * half-empty database, not a good backup).
 */
export function judgeDumps(name: string, files: DumpFile[], now: Date, freshnessMs: number, smallRatio: number): DumpStatus {
  const [latest, previous] = files;
  if (!latest) return { name, flags: ["missing"] };
  const ageMs = now.getTime() - latest.modifiedAt.getTime();
  const flags: DumpFlag[] = [];
  if (ageMs > freshnessMs) flags.push("stale");
  if (previous && previous.bytes > 0 && latest.bytes <= previous.bytes * smallRatio) flags.push("small");
  return { name, latest, ...(previous ? { previous } : {}), ageMs, flags };
}

export async function getBackupStatus(env: string, cfg: EnvironmentBackups, host: HostShell, now: Date): Promise<EnvBackupStatus> {
  const databases: DumpStatus[] = [];
  for (const db of cfg.databases) {
    databases.push(judgeDumps(db.name, await listDumps(host, cfg.dump_dir, db.name), now, cfg.freshness, cfg.small_ratio));
  }
  const redis = cfg.redis ? judgeDumps(REDIS_BASENAME, await listDumps(host, cfg.dump_dir, REDIS_BASENAME), now, cfg.freshness, cfg.small_ratio) : undefined;
  const ok = databases.every((d) => d.flags.length === 0) && (redis?.flags.length ?? 0) === 0;
  return { env, host: cfg.host, freshnessMs: cfg.freshness, smallRatio: cfg.small_ratio, databases, ...(redis ? { redis } : {}), ok };
}
