import { DateTime } from "luxon";

const MINUTE = 60_000;

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * The local calendar date (`2026-03-29`) of `at` in `zone`: the run key of a daily job.
 * Checked every minute, so it uses a cached `Intl.DateTimeFormat` rather than a luxon object.
 */
export function localDate(at: Date, zone: string): string {
  let f = dateFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" });
    dateFormats.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(at).map((p) => [p.type, p.value]));
  return `${parts["year"]}-${parts["month"]}-${parts["day"]}`;
}

/** UTC offset (minutes) of `zone` at instant `ms`. */
function offsetAt(ms: number, zone: string): number {
  return DateTime.fromMillis(ms, { zone }).offset;
}

/**
 * When a daily job set for `time` (`HH:MM`) is due on local date `date` in `zone`: the first
 * instant of that day whose wall clock reads `time` or later.
 * - Normal day: that wall-clock time.
 * - Clocks go back and `time` happens twice: the first occurrence (the run key keeps it at one run).
 * - Clocks go forward over `time` (02:55 does not exist): the first instant after the gap (03:00).
 *
 * Bree's cron takes the zone's offset at "now", not at the target time, so it cannot be trusted for
 * this; we compute it from the zone rules with luxon.
 */
export function dailyInstant(date: string, time: string, zone: string): Date {
  const [y, mo, d] = date.split("-").map(Number) as [number, number, number];
  const [h, mi] = time.split(":").map(Number) as [number, number];
  /** The wall-clock time as if it were UTC; instant = wall - offset. */
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  const dayStart = DateTime.fromObject({ year: y, month: mo, day: d }, { zone }).startOf("day");
  const offsets = [...new Set([dayStart.offset, dayStart.plus({ days: 1 }).minus({ milliseconds: 1 }).offset, offsetAt(wall, zone)])];
  const exact = offsets
    .map((o) => wall - o * MINUTE)
    .filter((t) => offsetAt(t, zone) * MINUTE + t === wall)
    .sort((a, b) => a - b);
  if (exact[0] !== undefined) return new Date(exact[0]);
  // In a gap: find the first minute whose wall clock has passed `time` (binary search; wall
  // clock is monotonic across a forward jump).
  let lo = wall - Math.max(...offsets) * MINUTE; // wall clock before `time`
  let hi = wall - Math.min(...offsets) * MINUTE; // wall clock after `time`
  while (hi - lo > MINUTE) {
    const mid = lo + Math.floor((hi - lo) / 2 / MINUTE) * MINUTE;
    if (mid + offsetAt(mid, zone) * MINUTE >= wall) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/** The instants `[start, end)` of local date `date` in `zone`. */
export function localDayRange(date: string, zone: string): { start: number; end: number } {
  const start = DateTime.fromISO(date, { zone }).startOf("day");
  return { start: start.toMillis(), end: start.plus({ days: 1 }).startOf("day").toMillis() };
}

/** The next time a daily job will run: today's instant if not yet run, else tomorrow's. */
export function nextDailyRun(now: Date, time: string, zone: string, doneKeys: readonly string[]): Date {
  const today = localDate(now, zone);
  if (!doneKeys.includes(today)) {
    const at = dailyInstant(today, time, zone);
    return at.getTime() > now.getTime() ? at : now;
  }
  const tomorrow = DateTime.fromISO(today, { zone }).plus({ days: 1 }).toISODate() ?? today;
  return dailyInstant(tomorrow, time, zone);
}
