import type { Retention } from "../../config/jobs-config.js";
import type { HostShell } from "../adapters/host-shell.js";
import { PARTIAL_GLOB } from "./dump-paths.js";
import { readSidecars, sidecarPath } from "./dump-sidecar.js";
import { listDumps } from "./list-dumps.js";
import { planRetention } from "./plan-retention.js";

export interface RetentionOptions {
  host: HostShell;
  dir: string;
  /** Also cleaned of temporary files older than a day (left by a run that was killed). */
  seedDir?: string;
  /** Database names (and `redis`) whose timestamped files are considered. */
  names: string[];
  retention: Retention;
  /** `jobs.time_zone`: GFS days, weeks, months and years are local calendar units. */
  zone: string;
  now: Date;
}

/**
 * Delete the dumps `planRetention` gives up (and their sidecars), judged by the UTC time in their
 * name (not the mtime, which a copy or a touch can change). The newest file of each database is
 * always kept, so a stopped backup never ends with no dump at all. Returns the deleted paths.
 */
export async function applyRetention(options: RetentionOptions): Promise<string[]> {
  const deleted: string[] = [];
  for (const name of options.names) {
    const files = await listDumps(options.host, options.dir, name);
    const sidecars = await readSidecars(options.host, options.dir, name);
    const old = planRetention(files, sidecars, options.retention, options.zone, options.now).filter((e) => e.deleteNext).map((e) => e.file.path);
    if (old.length === 0) continue;
    await options.host.exec(["rm", "-f", "--", ...old, ...old.map(sidecarPath)], { timeoutMs: 60_000 });
    deleted.push(...old);
  }
  // Temporary files of a run that was killed mid-write (a day old: no live run is that slow).
  for (const dir of [options.dir, ...(options.seedDir ? [options.seedDir] : [])]) {
    const r = await options.host.exec(["find", dir, "-maxdepth", "1", "-type", "f", "-name", PARTIAL_GLOB, "-mmin", "+1440", "-print", "-delete"], { allowFailure: true, timeoutMs: 60_000 });
    deleted.push(...r.stdout.split("\n").filter((l) => l !== ""));
  }
  return deleted;
}
