import type { HealthChecks } from "../../config/jobs-config.js";
import type { Reply } from "../../core/command.js";
import type { Logger } from "../../core/logger.js";
import type { Notifier } from "../../core/notifier.js";
import type { Store } from "../../store/store.js";
import type { HostShell } from "../adapters/host-shell.js";
import { getAlertStates, putAlertStates, type AlertState, type CheckResult } from "./alert-state.js";
import { evaluateAlert, type AlertPolicy } from "./evaluate-alert.js";
import { runHostChecks } from "./run-host-checks.js";
import { runHttpCheck } from "./run-http-check.js";

export interface HealthMonitorOptions {
  checks: HealthChecks;
  policy: AlertPolicy;
  store: Store;
  notifier: Notifier;
  shellFor(host: string): HostShell;
  log: Logger;
  clock?: () => Date;
  fetch?: typeof fetch;
}

export interface HealthRound {
  results: CheckResult[];
  notices: Reply[];
}

export interface HealthMonitor {
  /** Run every check once, update the persisted alert states, post what the rules say. */
  checkAll(): Promise<HealthRound>;
  /** Current state of every configured check (persisted; unknown until first checked). */
  states(): AlertState[];
  /** Ids of the configured checks, in config order (hosts expand to ssh, disk, memory, load). */
  checkIds(): string[];
}

/** HTTP and host checks with persisted alert states (`alertStates`) and the notifier as alert channel. */
export function createHealthMonitor(options: HealthMonitorOptions): HealthMonitor {
  const { checks, policy, store, notifier, log } = options;
  const clock = options.clock ?? (() => new Date());
  const ids = [
    ...checks.http.map((c) => `http:${c.name}`),
    ...checks.hosts.flatMap((h) => ["ssh", "disk", "memory", "load"].map((k) => `host:${h.host}:${k}`)),
  ];

  async function collect(): Promise<CheckResult[]> {
    const http = checks.http.map((c) => runHttpCheck(c, options.fetch ?? fetch));
    const hosts = checks.hosts.map((h) =>
      runHostChecks(h, options.shellFor(h.host)).catch((err: unknown): CheckResult[] => [
        { id: `host:${h.host}:ssh`, label: `host ${h.host} reachable`, ok: false, detail: (err as Error).message.slice(0, 200) },
      ]),
    );
    return [...(await Promise.all(http)), ...(await Promise.all(hosts)).flat()];
  }

  return {
    async checkAll() {
      const results = await collect();
      const now = clock();
      const notices = await store.update((s) => {
        const current = getAlertStates(s);
        const next: AlertState[] = [];
        const out: Reply[] = [];
        for (const r of results) {
          const { state, notices: n } = evaluateAlert(current[r.id], r, now, policy);
          next.push(state);
          out.push(...n);
        }
        putAlertStates(s, next);
        return out;
      });
      for (const n of notices) {
        try {
          await notifier.notify(n);
        } catch (err) {
          log.error({ err, alert: n.title }, "could not post a health alert");
        }
      }
      return { results, notices };
    },
    states() {
      const all = getAlertStates(store.read());
      return ids.map((id) => all[id]).filter((s): s is AlertState => s !== undefined);
    },
    checkIds: () => ids,
  };
}
