import type { HealthMonitor } from "../ops/health/create-health-monitor.js";
import type { JobDefinition } from "./scheduler.js";

export const HEALTH_ALERTS_JOB = "health-alerts";

/** Every minute (configurable): run the checks; alerts go out through the monitor's notifier. */
export function createHealthAlertsJob(options: { monitor: HealthMonitor; everyMs: number }): JobDefinition {
  return {
    name: HEALTH_ALERTS_JOB,
    description: "HTTP and host checks; alerts, reminders, recoveries",
    schedule: { kind: "every", ms: options.everyMs },
    async run() {
      const { results, notices } = await options.monitor.checkAll();
      const failing = results.filter((r) => !r.ok).length;
      return { summary: `${results.length} checks, ${failing} failing, ${notices.length} message(s) posted` };
    },
  };
}
