import type { Reply } from "../../core/command.js";
import type { Notifier } from "../../core/notifier.js";
import type { Store } from "../../store/store.js";
import { getAlertStates, putAlertStates, type CheckResult } from "../health/alert-state.js";
import { evaluateAlert } from "../health/evaluate-alert.js";

export interface BackupAlertsOptions {
  store: Store;
  /** The alert channel. */
  notifier: Notifier;
  /** Reminders while an incident lasts (the health alerts' `reminder_every`). */
  reminderMs?: number;
}

/**
 * Backup anomalies (size, duration, offsite copy) through the health checks' alert state machine:
 * the first bad result opens one incident (one alert, reminders while it lasts), a good one closes
 * it with a recovery message. State is written before the notices are posted, as for health checks.
 */
export async function postBackupAlerts(options: BackupAlertsOptions, results: readonly CheckResult[], now: Date): Promise<void> {
  if (results.length === 0) return;
  const policy = { failuresToOpen: 1, reminderMs: options.reminderMs ?? 4 * 3_600_000, flapWindow: 10, flapChanges: 100, stableChecks: 2 };
  const notices: Reply[] = await options.store.update((s) => {
    const states = getAlertStates(s);
    const out = results.map((r) => evaluateAlert(states[r.id], r, now, policy));
    putAlertStates(
      s,
      out.map((o) => o.state),
    );
    return out.flatMap((o) => o.notices);
  });
  for (const n of notices) await options.notifier.notify(n).catch(() => undefined);
}
