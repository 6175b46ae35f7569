import { DateTime } from "luxon";

/** `2026-11-23 02:55 CET` in `zone`, for replies. */
export function formatLocalTime(at: Date | string, zone: string): string {
  const d = typeof at === "string" ? DateTime.fromISO(at, { zone }) : DateTime.fromJSDate(at, { zone });
  return d.isValid ? d.toFormat("yyyy-LL-dd HH:mm ZZZZ") : String(at);
}

/** `2d 3h`, `4h 05m`, `12m`, `40s`: a short human duration. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m`;
  if (m > 0) return `${m}m`;
  return `${s}s`;
}
