import type { Retention } from "../../config/jobs-config.js";
import type { DumpSidecar } from "./dump-sidecar.js";
import { isPinned } from "./dump-sidecar.js";
import type { DumpFile } from "./list-dumps.js";
import { selectGfs, type GfsTier } from "./select-gfs.js";

export interface RetainedDump {
  file: DumpFile;
  sidecar?: DumpSidecar;
  pinned: boolean;
  safety: boolean;
  /** GFS tiers it is kept for (empty under age retention). */
  tiers: GfsTier[];
  /** The next retention run deletes it. */
  deleteNext: boolean;
}

/**
 * What retention does to one database's dumps at `now`, without touching anything: the same
 * decision feeds the real run, `/backup list` and `/backup retention --dry-run`.
 * Age form: older than the duration by the time in the name. GFS form: see `selectGfs`.
 * Always kept: the newest dump, pinned dumps, safety dumps before their `keepUntil`.
 */
export function planRetention(files: readonly DumpFile[], sidecars: ReadonlyMap<string, DumpSidecar>, retention: Retention, zone: string, now: Date): RetainedDump[] {
  const entries = [...files]
    .sort((a, b) => b.stampedAt.getTime() - a.stampedAt.getTime())
    .map((file) => {
      const sidecar = sidecars.get(file.fileName);
      return { file, ...(sidecar ? { sidecar } : {}), pinned: isPinned(sidecar, now), safety: sidecar?.safety === true, tiers: [] as GfsTier[], deleteNext: false };
    });
  if (typeof retention === "number") {
    const cutoff = now.getTime() - retention;
    entries.forEach((e, i) => {
      e.deleteNext = i > 0 && !e.pinned && e.file.stampedAt.getTime() < cutoff;
    });
    return entries;
  }
  const sel = selectGfs(
    entries.map((e) => ({ id: e.file.fileName, at: e.file.stampedAt, pinned: e.pinned || e.safety })),
    retention,
    zone,
  );
  for (const e of entries) {
    e.tiers = sel.tiers.get(e.file.fileName) ?? [];
    // An expired safety dump is not part of the policy: it goes once its keep time is over.
    e.deleteNext = !sel.keep.has(e.file.fileName) || (e.safety && !e.pinned && e.tiers.length === 0 && entries[0] !== e);
  }
  return entries;
}
