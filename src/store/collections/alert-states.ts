import { z } from "zod";
import { type Known, record } from "./known.js";

/** `state.alertStates`: per health check, so a restart neither re-alerts nor forgets (owned by src/ops/health/alert-state.ts). */
export const Severity = z.enum(["warning", "critical"]);
export type Severity = z.infer<typeof Severity>;

export const Incident = record({
  /** First failure of the streak. */
  startedAt: z.string(),
  /** When the alert went out; unset while below the threshold (or while flapping). */
  alertedAt: z.string().optional(),
  lastReminderAt: z.string().optional(),
  /** Severity the channel was last told about; a later `critical` is posted as an escalation. */
  alertedSeverity: Severity.optional(),
});
export type Incident = Known<z.infer<typeof Incident>>;

export const AlertState = record({
  id: z.string(),
  label: z.string(),
  status: z.enum(["ok", "failing"]),
  detail: z.string(),
  severity: Severity.optional(),
  checkedAt: z.string(),
  /** Since when the check has been in its current status. */
  since: z.string(),
  consecutiveFailures: z.number(),
  consecutiveSuccesses: z.number(),
  /** Last results, oldest first (`true` = ok), for flap detection. */
  history: z.array(z.boolean()),
  flapping: z.boolean(),
  incident: Incident.optional(),
});
export type AlertState = Omit<Known<z.infer<typeof AlertState>>, "incident"> & { incident?: Incident };
