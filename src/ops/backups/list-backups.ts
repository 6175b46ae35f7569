import type { EnvironmentBackups } from "../../config/jobs-config.js";
import type { HostShell } from "../adapters/host-shell.js";
import { readSidecars } from "./dump-sidecar.js";
import { listDumps } from "./list-dumps.js";
import { planRetention, type RetainedDump } from "./plan-retention.js";

export interface DatabaseBackups {
  name: string;
  /** Newest first, each with its GFS tiers, pin and drill, and whether the next retention deletes it. */
  dumps: RetainedDump[];
}

/** `shop-20261123T025500Z.dump` → `shop-20261123T025500Z`: the id `/backup restore` takes. */
export function dumpId(fileName: string): string {
  return fileName.replace(/\.(dump|rdb)$/, "");
}

/** The dumps of the given databases (or `redis`) of one environment, judged by its retention at `now`. */
export async function listBackups(host: HostShell, cfg: EnvironmentBackups, names: readonly string[], zone: string, now: Date): Promise<DatabaseBackups[]> {
  const out: DatabaseBackups[] = [];
  for (const name of names) {
    const files = await listDumps(host, cfg.dump_dir, name);
    const sidecars = await readSidecars(host, cfg.dump_dir, name);
    out.push({ name, dumps: planRetention(files, sidecars, cfg.retention, zone, now) });
  }
  return out;
}
