import type { State } from "../../store/state.js";

export type Severity = "warning" | "critical";

/** The outcome of one check at one moment. */
export interface CheckResult {
  /** Stable id: `http:<name>`, `host:<host>:disk`, `host:<host>:ssh`… */
  id: string;
  /** Shown in messages, e.g. `http shop-home`, `disk on db1`. */
  label: string;
  ok: boolean;
  /** What was measured: `HTTP 200 in 35 ms`, `disk 93 % used (critical at 90 %)`. */
  detail: string;
  severity?: Severity;
}

export interface Incident {
  /** First failure of the streak. */
  startedAt: string;
  /** When the alert went out; unset while below the threshold (or while flapping). */
  alertedAt?: string;
  lastReminderAt?: string;
  /** Severity the channel was last told about; a later `critical` is posted as an escalation. */
  alertedSeverity?: Severity;
}

/** Persisted per check under `alertStates`, so a restart neither re-alerts nor forgets. */
export interface AlertState {
  id: string;
  label: string;
  status: "ok" | "failing";
  detail: string;
  severity?: Severity;
  checkedAt: string;
  /** Since when the check has been in its current status. */
  since: string;
  consecutiveFailures: number;
  consecutiveSuccesses: number;
  /** Last results, oldest first (`true` = ok), for flap detection. */
  history: boolean[];
  flapping: boolean;
  incident?: Incident;
}

export function getAlertStates(state: State): Record<string, AlertState> {
  const v = state["alertStates"];
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, AlertState>) : {};
}

export function putAlertStates(state: State, states: AlertState[]): void {
  const all = { ...getAlertStates(state) };
  for (const s of states) all[s.id] = s;
  state["alertStates"] = all;
}
