import type { AlertState, Severity } from "../../store/collections/alert-states.js";
import type { State } from "../../store/state.js";

export type { AlertState, Incident, Severity } from "../../store/collections/alert-states.js";

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

export function getAlertStates(state: State): Record<string, AlertState> {
  return state.alertStates;
}

export function putAlertStates(state: State, states: AlertState[]): void {
  const all = { ...getAlertStates(state) };
  for (const s of states) all[s.id] = s;
  state.alertStates = all;
}
