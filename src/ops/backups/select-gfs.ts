import { DateTime } from "luxon";
import type { GfsPolicy } from "../../config/jobs-config.js";

export type GfsTier = "daily" | "weekly" | "monthly" | "yearly";
export const GFS_TIERS: readonly GfsTier[] = ["daily", "weekly", "monthly", "yearly"];

export interface GfsCandidate {
  id: string;
  /** When the dump was taken (the time in its name). */
  at: Date;
  /** Pinned and unexpired safety dumps: kept, and not counted in any tier. */
  pinned: boolean;
}

export interface GfsSelection {
  /** id → the tiers it is kept for (a dump can be the daily, weekly and monthly one at once). */
  tiers: Map<string, GfsTier[]>;
  keep: Set<string>;
  delete: string[];
}

/** The calendar bucket of `at` for a tier, in `zone`: a local day, ISO week, month or year. */
export function gfsBucket(at: Date, tier: GfsTier, zone: string): string {
  const t = DateTime.fromJSDate(at, { zone });
  if (tier === "daily") return t.toFormat("yyyy-MM-dd");
  if (tier === "weekly") return `${t.weekYear}-W${String(t.weekNumber).padStart(2, "0")}`;
  if (tier === "monthly") return t.toFormat("yyyy-MM");
  return t.toFormat("yyyy");
}

/**
 * Grandfather-father-son selection, as restic's `forget --keep-daily … --keep-yearly` does it:
 * per tier, walk the dumps newest first and keep the newest dump of each of the last N calendar
 * buckets that hold a dump. Buckets are local calendar units in `zone`, so a 23- or 25-hour
 * daylight-saving day is still one day (never two dumps counted as two days, nor a day skipped).
 * The newest dump is always kept; pinned ones are kept and never fill a tier's slot.
 */
export function selectGfs(candidates: readonly GfsCandidate[], policy: GfsPolicy, zone: string): GfsSelection {
  const sorted = [...candidates].sort((a, b) => b.at.getTime() - a.at.getTime());
  const tiers = new Map<string, GfsTier[]>();
  const ordinary = sorted.filter((c) => !c.pinned);
  for (const tier of GFS_TIERS) {
    const limit = policy[tier];
    const seen = new Set<string>();
    for (const c of ordinary) {
      if (seen.size >= limit) break;
      const bucket = gfsBucket(c.at, tier, zone);
      if (seen.has(bucket)) continue;
      seen.add(bucket);
      tiers.set(c.id, [...(tiers.get(c.id) ?? []), tier]);
    }
  }
  const keep = new Set<string>([...tiers.keys(), ...sorted.filter((c) => c.pinned).map((c) => c.id)]);
  if (sorted[0]) keep.add(sorted[0].id);
  return { tiers, keep, delete: sorted.filter((c) => !keep.has(c.id)).map((c) => c.id) };
}
