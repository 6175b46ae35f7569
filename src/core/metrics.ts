import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export interface Metrics {
  registry: Registry;
  commands: Counter<"command" | "outcome">;
  commandDuration: Histogram<"command">;
  operationsInFlight: Gauge<"kind">;
}

/** A registry per app instance (no global default registry), so tests can build several. */
export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "opsdeck_" });
  return {
    registry,
    commands: new Counter({ name: "opsdeck_commands_total", help: "Commands handled, by name and outcome", labelNames: ["command", "outcome"], registers: [registry] }),
    commandDuration: new Histogram({
      name: "opsdeck_command_duration_seconds",
      help: "Time from command received to final reply",
      labelNames: ["command"],
      buckets: [0.05, 0.25, 1, 5, 15, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
    operationsInFlight: new Gauge({ name: "opsdeck_operations_in_flight", help: "Operations currently running, by kind", labelNames: ["kind"], registers: [registry] }),
  };
}
