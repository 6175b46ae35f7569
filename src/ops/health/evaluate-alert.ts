import type { Reply } from "../../core/command.js";
import { formatDuration } from "../../core/format-local-time.js";
import type { AlertState, CheckResult } from "./alert-state.js";

export interface AlertPolicy {
  /** Consecutive failures that open an incident (one alert). */
  failuresToOpen: number;
  /** Repeat interval while an alerted incident lasts. */
  reminderMs: number;
  /** Results remembered for flap detection. */
  flapWindow: number;
  /** State changes within the window that make a check flapping. */
  flapChanges: number;
  /** Identical results in a row that end flapping. */
  stableChecks: number;
}

function changes(history: boolean[]): number {
  let n = 0;
  for (let i = 1; i < history.length; i += 1) if (history[i] !== history[i - 1]) n += 1;
  return n;
}

/**
 * One step of a check's alert state machine. Pure: the caller persists `state` and then posts
 * `notices` (at most once: state is written first, so a crash in between loses a message rather
 * than repeating it).
 *
 * - failing `failuresToOpen` times in a row → one alert; a reminder every `reminderMs` while it lasts;
 * - a `warning` incident that turns `critical` → one escalation message;
 * - ok again → a recovery message with the outage's duration, only if an alert was sent;
 * - `flapChanges` state changes within the last `flapWindow` results → one "flapping" notice,
 *   then silence until `stableChecks` identical results in a row; then the normal rules resume.
 */
export function evaluateAlert(prev: AlertState | undefined, result: CheckResult, now: Date, policy: AlertPolicy): { state: AlertState; notices: Reply[] } {
  const at = now.toISOString();
  const statusNow = result.ok ? "ok" : "failing";
  const s: AlertState = prev
    ? { ...prev, history: [...prev.history], ...(prev.incident ? { incident: { ...prev.incident } } : {}) }
    : { id: result.id, label: result.label, status: statusNow, detail: result.detail, checkedAt: at, since: at, consecutiveFailures: 0, consecutiveSuccesses: 0, history: [], flapping: false };
  if (s.status !== statusNow) s.since = at;
  s.label = result.label;
  s.status = statusNow;
  s.detail = result.detail;
  if (result.severity) s.severity = result.severity;
  else delete s.severity;
  s.checkedAt = at;
  s.history = [...s.history, result.ok].slice(-policy.flapWindow);
  if (result.ok) {
    s.consecutiveSuccesses += 1;
    s.consecutiveFailures = 0;
  } else {
    s.consecutiveFailures += 1;
    s.consecutiveSuccesses = 0;
    s.incident ??= { startedAt: at };
  }
  const notices: Reply[] = [];

  if (!s.flapping && changes(s.history) >= policy.flapChanges) {
    s.flapping = true;
    notices.push({
      status: "warning",
      title: `flapping: ${s.label}`,
      lines: [`${changes(s.history)} changes between ok and failing in the last ${s.history.length} checks; now ${statusNow}: ${result.detail}`, `No more messages about it until it stays the same for ${policy.stableChecks} checks in a row.`],
    });
    return { state: s, notices };
  }
  if (s.flapping) {
    const streak = result.ok ? s.consecutiveSuccesses : s.consecutiveFailures;
    if (streak < policy.stableChecks) return { state: s, notices };
    s.flapping = false;
    s.history = s.history.slice(-streak);
  }

  if (!result.ok && s.incident) {
    const inc = s.incident;
    const lasted = formatDuration(now.getTime() - Date.parse(inc.startedAt));
    if (!inc.alertedAt && s.consecutiveFailures >= policy.failuresToOpen) {
      inc.alertedAt = at;
      inc.lastReminderAt = at;
      inc.alertedSeverity = s.severity ?? "critical";
      notices.push({
        status: "failure",
        title: `${s.severity === "warning" ? "warning" : "down"}: ${s.label}`,
        lines: [result.detail, `failing since ${inc.startedAt} (${s.consecutiveFailures} checks in a row)`],
        nextStep: `Look at it now; a reminder follows every ${formatDuration(policy.reminderMs)} while it lasts, and a message when it recovers.`,
      });
    } else if (inc.alertedAt && inc.alertedSeverity === "warning" && s.severity === "critical") {
      // Escalation: e.g. disk from the warning threshold to the critical one.
      inc.alertedSeverity = "critical";
      inc.lastReminderAt = at;
      notices.push({ status: "failure", title: `critical now: ${s.label}`, lines: [result.detail, `failing since ${inc.startedAt}`], nextStep: "Act now: this went past the critical threshold." });
    } else if (inc.alertedAt && now.getTime() - Date.parse(inc.lastReminderAt ?? inc.alertedAt) >= policy.reminderMs) {
      inc.lastReminderAt = at;
      notices.push({ status: "warning", title: `still failing: ${s.label} (for ${lasted})`, lines: [result.detail, `failing since ${inc.startedAt}`] });
    }
  } else if (result.ok && s.incident) {
    const inc = s.incident;
    delete s.incident;
    if (inc.alertedAt) {
      notices.push({
        status: "success",
        title: `recovered: ${s.label} after ${formatDuration(now.getTime() - Date.parse(inc.startedAt))}`,
        lines: [result.detail, `outage from ${inc.startedAt} to ${at}`],
      });
    }
  }
  return { state: s, notices };
}
