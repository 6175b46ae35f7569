import type { ProgressFn, Reply } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Notifier } from "../../core/notifier.js";
import type { Secret } from "../../core/secret.js";
import { formatDuration } from "../../core/format-local-time.js";
import type { Store } from "../../store/store.js";
import type { HostShell } from "../adapters/host-shell.js";
import { evaluateAlert } from "../health/evaluate-alert.js";
import { getAlertStates, putAlertStates } from "../health/alert-state.js";
import { createJournal } from "../journal/create-journal.js";
import type { BackupOps } from "./create-backup-ops.js";
import { drillDump } from "./drill-dump.js";
import { updateSidecar, type DrillResult } from "./dump-sidecar.js";
import { resolveDump } from "./resolve-dump.js";

export interface DrillReport extends DrillResult {
  env: string;
  db: string;
  dumpId: string;
  dumpAgeMs: number;
  scratch: string;
}

export interface DrillOpOptions {
  backups: BackupOps;
  shellFor(host: string): HostShell;
  readSecret(name: string): Secret | undefined;
  /** The alert channel: one summary line per drill, and the alert of a failing one. */
  notifier: Notifier;
  store: Store;
  clock?: () => Date;
  /** Alert reminders while drills keep failing (the health alerts' `reminder_every`). */
  reminderMs?: number;
}

export interface DrillOp {
  /** Drill the newest dump of each configured database of `env` (or `db`); `actor` is journaled. */
  drill(env: string, db: string | undefined, actor: string, progress?: ProgressFn): Promise<DrillReport[]>;
}

/** `shop: dump 5h 02m old, restored in 3s, 4 tables, 2000 rows — passed`. */
export function drillLine(r: DrillReport): string {
  return `${r.env}/${r.db}: dump ${r.dumpId} ${formatDuration(r.dumpAgeMs)} old, restored in ${formatDuration(r.durationMs)}, ${r.tables} table(s), ${r.rows} row(s) — ${r.ok ? "passed" : `FAILED: ${r.problems.join("; ")}`}`;
}

/** Restore drills: newest dump → scratch database → assertions → result on the dump, summary and alert to the channel. */
export function createDrillOp(options: DrillOpOptions): DrillOp {
  const { backups, store, notifier } = options;
  const clock = options.clock ?? (() => new Date());
  const journal = createJournal({ store, clock });
  const policy = { failuresToOpen: 1, reminderMs: options.reminderMs ?? 4 * 3_600_000, flapWindow: 10, flapChanges: 100, stableChecks: 2 };

  async function alert(r: DrillReport): Promise<void> {
    const result = { id: `backup-drill:${r.env}/${r.db}`, label: `restore drill of ${r.env}/${r.db}`, ok: r.ok, detail: drillLine(r) };
    const notices: Reply[] = await store.update((s) => {
      const out = evaluateAlert(getAlertStates(s)[result.id], result, clock(), policy);
      putAlertStates(s, [out.state]);
      return out.notices;
    });
    for (const n of notices) await notifier.notify(n).catch(() => undefined);
  }

  return {
    async drill(env, only, actor, progress = async () => {}) {
      const cfg = backups.configOf(env);
      const names = cfg.drill.databases ?? cfg.databases.map((d) => d.name);
      if (only !== undefined && !cfg.databases.some((d) => d.name === only)) {
        throw new OpsError("not_found", `${env} has no database "${only}" in its backups`, `Databases of ${env}: ${cfg.databases.map((d) => d.name).join(", ")}.`);
      }
      const host = options.shellFor(cfg.host);
      const reports: DrillReport[] = [];
      for (const name of only !== undefined ? [only] : names) {
        const db = cfg.databases.find((d) => d.name === name);
        if (!db) continue;
        const dump = await resolveDump(host, env, cfg, name, "latest");
        const now = clock();
        const op = { id: await journal.begin("drill", `${env}/${name}`, actor) };
        await progress(`drilling ${dump.id} into a scratch database`);
        const password = db.password_env ? options.readSecret(db.password_env) : undefined;
        const res = await drillDump({ host, db, dump, drill: cfg.drill, password, ...(cfg.pg_bin ? { pgBin: cfg.pg_bin } : {}), zone: backups.timeZone, now, clock });
        const { scratch, ...result } = res;
        await updateSidecar(host, dump.file.path, { drill: result });
        const report: DrillReport = { ...result, env, db: name, dumpId: dump.id, dumpAgeMs: now.getTime() - dump.file.stampedAt.getTime(), scratch };
        await journal.finish(op.id, report.ok ? "succeeded" : "failed", drillLine(report));
        await notifier.notify({ status: report.ok ? "info" : "failure", title: `restore drill ${report.ok ? "passed" : "FAILED"}: ${env}/${name}`, lines: [drillLine(report)] }).catch(() => undefined);
        await alert(report);
        reports.push(report);
      }
      return reports;
    },
  };
}
