import type { Reply } from "../core/command.js";
import { formatDuration, formatLocalTime } from "../core/format-local-time.js";
import { dumpId, type DatabaseBackups } from "../ops/backups/list-backups.js";
import type { RetainedDump } from "../ops/backups/plan-retention.js";
import { formatBytes } from "../core/format-bytes.js";
import type { OffsiteSnapshot } from "../ops/backups/offsite-repository.js";

function drillMark(d: RetainedDump): string {
  const drill = d.sidecar?.drill;
  if (!drill) return "drill –";
  return drill.ok ? "drill ✓" : "drill ✗";
}

/** One dump: `shop-20261123T025500Z  2026-11-23 03:55 CET  1.2 MB  3d 1h  daily,weekly  drill ✓  📌`. */
export function dumpRow(d: RetainedDump, zone: string, now: Date): string {
  const marks = [d.safety ? "📌 safety" : d.pinned ? "📌 pinned" : "", d.deleteNext ? "✂ next retention" : ""].filter((m) => m !== "");
  return [
    dumpId(d.file.fileName).padEnd(32),
    formatLocalTime(d.file.stampedAt, zone),
    formatBytes(d.file.bytes).padStart(7),
    formatDuration(now.getTime() - d.file.stampedAt.getTime()).padStart(7),
    (d.tiers.join(",") || "–").padEnd(12),
    drillMark(d),
    ...marks,
  ].join("  ");
}

/** `/backup list <env> [db]`: every dump per database, newest first. */
export function backupListReply(env: string, dbs: DatabaseBackups[], zone: string, now: Date, offsite: OffsiteSnapshot[] = []): Reply {
  const total = dbs.reduce((n, d) => n + d.dumps.length, 0);
  const offsiteRows = (name: string): string[] => {
    const mine = offsite.filter((s) => s.db === name);
    return mine.length > 0 ? [`  offsite (${mine.length} snapshot(s)):`, ...mine.map((s) => `  ☁ ${s.dumpId.padEnd(32)}  ${formatLocalTime(s.time, zone)}  snapshot ${s.id}`)] : [];
  };
  const blocks = dbs.map((db) => [`${db.name} (${db.dumps.length} dump(s))`, ...(db.dumps.length > 0 ? db.dumps.map((d) => `  ${dumpRow(d, zone, now)}`) : ["  no dump found"]), ...offsiteRows(db.name)].join("\n"));
  return {
    status: "info",
    title: `backups of ${env}: ${total} dump(s)`,
    lines: ["id · time · size · age · GFS tier · drill (✓ passed, ✗ failed, – never) · 📌 pinned · ✂ deleted by the next retention run", "Restore one with /backup restore <env> <db> <id|latest> [--dry-run]."],
    code: blocks.join("\n\n"),
  };
}

/** `/backup retention <env> --dry-run`: what the next run deletes; nothing is changed. */
export function retentionDryRunReply(env: string, dbs: DatabaseBackups[], zone: string, now: Date, policy: string): Reply {
  const doomed = dbs.flatMap((db) => db.dumps.filter((d) => d.deleteNext).map((d) => `${db.name}: ${dumpRow(d, zone, now)}`));
  const kept = dbs.reduce((n, db) => n + db.dumps.filter((d) => !d.deleteNext).length, 0);
  return {
    status: "info",
    title: `retention of ${env} (dry run, nothing was deleted): ${doomed.length} dump(s) would go, ${kept} stay`,
    lines: [`policy: ${policy}; pinned and safety dumps and the newest dump of each database are always kept`],
    ...(doomed.length > 0 ? { code: doomed.join("\n") } : {}),
  };
}
