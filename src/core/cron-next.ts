import { DateTime } from "luxon";

/** A parsed 5-field cron expression: the allowed values of each field. */
export interface CronSpec {
  minutes: Set<number>;
  hours: Set<number>;
  days: Set<number>;
  months: Set<number>;
  weekdays: Set<number>;
  /** Whether day-of-month / day-of-week were restricted (`*` is not), for cron's OR rule. */
  dayRestricted: boolean;
  weekdayRestricted: boolean;
}

function parseField(field: string, min: number, max: number): { values: Set<number>; restricted: boolean } {
  const values = new Set<number>();
  for (const part of field.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`bad cron field "${field}"`);
    const step = m[4] === undefined ? 1 : Number(m[4]);
    let lo = min;
    let hi = max;
    if (m[1] !== "*") {
      lo = Number(m[2]);
      hi = m[3] === undefined ? (m[4] === undefined ? lo : max) : Number(m[3]);
    }
    if (step < 1 || lo < min || hi > max || lo > hi) throw new Error(`cron field "${field}" is out of range ${min}-${max}`);
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return { values, restricted: field !== "*" };
}

/** Parse `m h dom mon dow` (numbers, `*`, ranges, lists, steps; Sunday is 0 or 7). Throws on anything else. */
export function parseCron(expr: string): CronSpec {
  const fields = expr.trim().split(/\s+/);
  if (fields.length !== 5) throw new Error(`cron "${expr}" must have 5 fields`);
  const [mi, h, dom, mon, dow] = fields as [string, string, string, string, string];
  const weekdays = parseField(dow, 0, 7);
  if (weekdays.values.has(7)) weekdays.values.add(0);
  const days = parseField(dom, 1, 31);
  return {
    minutes: parseField(mi, 0, 59).values,
    hours: parseField(h, 0, 23).values,
    days: days.values,
    months: parseField(mon, 1, 12).values,
    weekdays: weekdays.values,
    dayRestricted: days.restricted,
    weekdayRestricted: weekdays.restricted,
  };
}

function matches(spec: CronSpec, t: DateTime): boolean {
  if (!spec.minutes.has(t.minute) || !spec.hours.has(t.hour) || !spec.months.has(t.month)) return false;
  const dayOk = spec.days.has(t.day);
  const weekdayOk = spec.weekdays.has(t.weekday % 7);
  if (spec.dayRestricted && spec.weekdayRestricted) return dayOk || weekdayOk;
  return dayOk && weekdayOk;
}

/**
 * The next instant strictly after `after` whose local wall-clock time in `zone` matches `expr`.
 * Walks whole minutes (skipping non-matching hours), at most a year ahead; `null` if none.
 */
export function cronNext(expr: string | CronSpec, after: Date, zone: string): Date | null {
  const spec = typeof expr === "string" ? parseCron(expr) : expr;
  let t = DateTime.fromJSDate(after, { zone }).startOf("minute").plus({ minutes: 1 });
  const limit = t.plus({ years: 1 });
  while (t < limit) {
    if (!spec.hours.has(t.hour) || !spec.months.has(t.month)) {
      t = t.startOf("hour").plus({ hours: 1 });
      continue;
    }
    if (matches(spec, t)) return t.toJSDate();
    t = t.plus({ minutes: 1 });
  }
  return null;
}
