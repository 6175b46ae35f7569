import type * as PromClient from "prom-client";

type CommandLabels = { command: string; outcome: string };

/**
 * The bot's Prometheus metrics. prom-client (with its OpenTelemetry dependency, about a tenth of a
 * one-shot `opsdeck run "/help"`) is imported only by `load()` — the long-running bot calls it at
 * start-up, `/metrics` on first scrape. Until then counts and observations wait in a short queue
 * and are replayed into the real metrics when they exist.
 */
export interface Metrics {
  registry: { metrics(): Promise<string>; readonly contentType: string };
  commands: { inc(labels: CommandLabels): void };
  commandDuration: { observe(labels: { command: string }, seconds: number): void };
  operationsInFlight: { inc(labels: { kind: string }): void; dec(labels: { kind: string }): void };
  /** Import prom-client and start the default process metrics (idempotent). */
  load(): Promise<void>;
}

interface Loaded {
  registry: PromClient.Registry;
  commands: PromClient.Counter<"command" | "outcome">;
  commandDuration: PromClient.Histogram<"command">;
  operationsInFlight: PromClient.Gauge<"kind">;
}

/** Beyond this many updates before `load()`, the oldest are dropped (a process that never serves /metrics). */
const MAX_PENDING = 10_000;

/** A registry per app instance (no global default registry), so tests can build several. */
export function createMetrics(): Metrics {
  let loaded: Loaded | undefined;
  let loading: Promise<Loaded> | undefined;
  const pending: Array<(m: Loaded) => void> = [];
  const record = (update: (m: Loaded) => void): void => {
    if (loaded) return update(loaded);
    pending.push(update);
    if (pending.length > MAX_PENDING) pending.shift();
  };
  const load = (): Promise<Loaded> =>
    // `.default` (module.exports): a CommonJS package, and the bundle's dynamic import names only that.
    (loading ??= import("prom-client").then(({ default: { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } }) => {
      const registry = new Registry();
      collectDefaultMetrics({ register: registry, prefix: "opsdeck_" });
      const m: Loaded = {
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
      for (const update of pending.splice(0)) update(m);
      loaded = m;
      return m;
    }));
  return {
    registry: {
      metrics: async () => (await load()).registry.metrics(),
      get contentType() {
        // prom-client's Prometheus text format (Registry.PROMETHEUS_CONTENT_TYPE) until it is loaded.
        return loaded?.registry.contentType ?? "text/plain; version=0.0.4; charset=utf-8";
      },
    },
    commands: { inc: (labels) => record((m) => m.commands.inc(labels)) },
    commandDuration: { observe: (labels, seconds) => record((m) => m.commandDuration.observe(labels, seconds)) },
    operationsInFlight: {
      inc: (labels) => record((m) => m.operationsInFlight.inc(labels)),
      dec: (labels) => record((m) => m.operationsInFlight.dec(labels)),
    },
    load: async () => {
      await load();
    },
  };
}
