import type { Reply } from "../../core/command.js";
import { formatDuration, formatLocalTime } from "../../core/format-local-time.js";
import { formatBytes } from "../../core/format-bytes.js";
import type { RestoreOutcome, RestorePlan } from "./create-restore-op.js";

/** Database, dump time and size: shown in the plan, the approval request and the result. */
export function restoreDetails(p: RestorePlan, zone: string): Array<{ label: string; value: string }> {
  return [
    { label: "database", value: p.db },
    { label: "dump", value: p.dump.id },
    { label: "dump taken", value: formatLocalTime(p.dump.file.stampedAt, zone) },
    { label: "dump size", value: p.from === "offsite" && p.dump.file.bytes === 0 ? "(in the offsite repository)" : formatBytes(p.dump.file.bytes) },
    ...(p.snapshot ? [{ label: "from", value: `offsite: restic snapshot ${p.snapshot.id}` }] : []),
  ];
}

export function restorePlanReply(p: RestorePlan, zone: string): Reply {
  return {
    status: "info",
    title: `plan: restore ${p.dump.id} into ${p.env}/${p.db} (dry run, nothing was changed)`,
    lines: [p.protected ? "Protected environment: a real restore needs an approval first." : "A real restore runs these steps now."],
    fields: restoreDetails(p, zone),
    code: p.steps.map((s, i) => `${i + 1}. ${s}`).join("\n"),
  };
}

/** The result: what was restored, or what failed and whether the safety dump was put back. */
export function restoreOutcomeReply(o: RestoreOutcome, zone: string): Reply {
  const p = o.plan;
  const fields = [...restoreDetails(p, zone), ...(o.safetyId ? [{ label: "safety dump", value: `${o.safetyId} (pinned)` }] : []), { label: "took", value: formatDuration(o.durationMs) }, { label: "journal", value: o.operationId }];
  if (o.ok) return { status: "success", title: `restored ${p.dump.id} into ${p.env}/${p.db}`, lines: [`Smoke checks: ${o.smoke.length === 0 ? "none configured" : `${o.smoke.length} passed`}.`, `To undo it: /backup restore ${p.env} ${p.db} ${o.safetyId}`], fields };
  const title = `restore of ${p.dump.id} into ${p.env}/${p.db} failed`;
  if (o.rolledBack === true) {
    return { status: "failure", title, lines: [`What failed: ${o.error ?? "?"}`, `The safety dump ${o.safetyId} was restored: ${p.db} holds the data it had before this restore, and the services were started again.`], fields, nextStep: `Check the dump (/backup list ${p.env} ${p.db}, /backup drill ${p.env} ${p.db}) and try another one.` };
  }
  if (o.rolledBack === "failed") {
    return { status: "failure", title, lines: [`What failed: ${o.error ?? "?"}`, `Restoring the safety dump ${o.safetyId} FAILED too: ${p.db} may be empty or partly restored, and services may be stopped.`], fields, nextStep: `Restore by hand on the backup host: pg_restore --clean --if-exists --single-transaction -d ${p.db} the safety dump ${o.safetyId}.dump, then start the services.` };
  }
  return { status: "failure", title, lines: [`What failed: ${o.error ?? "?"}`, "Nothing was changed: the database and the services are as they were."], fields, nextStep: "Fix the cause above and run the restore again." };
}
