import type { Reply } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import { formatDuration, formatLocalTime } from "../core/format-local-time.js";
import type { AlertState } from "../ops/health/alert-state.js";
import type { HealthMonitor } from "../ops/health/create-health-monitor.js";
import { z } from "zod";
import { defineCommand } from "../core/command-spec.js";
import { variant } from "../core/command-args.js";
import { defineParsedHandler, type Handler } from "./handler.js";

export interface StatusHandlerOptions {
  monitor: Pick<HealthMonitor, "states" | "checkIds">;
  /** `/status <env>`: per node of a deploy environment (tag, containers, health); absent without environments. */
  envStatus?: (env: string) => Promise<Reply>;
  timeZone: string;
  clock?: () => Date;
}

export const statusSpec = defineCommand({
  name: "status",
  summary: "health checks, or one environment's nodes (tag, containers, health)",
  variants: [variant({ schema: z.object({}) }), variant({ positionals: [{ name: "env" }], schema: z.object({ env: z.string() }) })],
  messages: { extra: () => ({ message: "/status takes at most one argument, an environment", nextStep: "Type /status, or /status <env> for one environment's nodes." }) },
});

function describe(s: AlertState, now: Date, zone: string): string {
  const parts = [`${s.status === "ok" ? "ok" : s.severity === "warning" ? "WARNING" : "FAILING"} for ${formatDuration(now.getTime() - Date.parse(s.since))}`, s.detail];
  if (s.flapping) parts.push("flapping");
  if (s.incident?.alertedAt) parts.push(`alerted ${formatLocalTime(s.incident.alertedAt, zone)}`);
  parts.push(`checked ${formatLocalTime(s.checkedAt, zone)}`);
  return parts.join(" · ");
}

/** `/status`: the current state of every health check, as the health-alerts job last saw it. */
export function createStatusHandler(options: StatusHandlerOptions): Handler {
  const clock = options.clock ?? (() => new Date());
  return defineParsedHandler(statusSpec, {
    permission: (p) => ({ key: "status", readOnly: true, ...(p.env ? { env: p.env } : {}) }),
    async run(_command, _progress, p): Promise<Reply> {
      if (p.env !== undefined) {
        if (!options.envStatus) throw new OpsError("config", "/status <env> is not configured here: add `environments:` (see config/example.full.yaml)", "Type /status on its own for the health checks.");
        return options.envStatus(p.env);
      }
      const now = clock();
      const states = new Map(options.monitor.states().map((s) => [s.id, s]));
      const ids = options.monitor.checkIds();
      if (ids.length === 0) return { status: "info", title: "no health checks configured", lines: ["Add health_checks: (http, hosts) to the config."] };
      const fields = ids.map((id) => {
        const s = states.get(id);
        return { label: s?.label ?? id, value: s ? describe(s, now, options.timeZone) : "not checked yet" };
      });
      const failing = [...states.values()].filter((s) => s.status === "failing");
      return {
        status: failing.length > 0 ? "warning" : "info",
        title: failing.length > 0 ? `${failing.length} of ${ids.length} checks failing` : `all ${states.size} checked of ${ids.length} checks ok`,
        fields,
      };
    },
  });
}
