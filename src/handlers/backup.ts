import type { Reply, ReplyField } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import { escapeEcho } from "../core/validate.js";
import { formatDuration, formatLocalTime } from "../jobs/format-local-time.js";
import { PRE_BACKUP_JOB, reportFailures } from "../jobs/pre-backup-job.js";
import type { JobInfo } from "../jobs/scheduler.js";
import type { DumpStatus, EnvBackupStatus } from "../ops/backups/backup-status.js";
import type { BackupOps, BackupReport } from "../ops/backups/create-backup-ops.js";
import type { Handler } from "./handler.js";

export interface BackupHandlerOptions {
  ops: BackupOps;
  timeZone: string;
  /** The pre-backup job's schedule and last run, when the scheduler runs it. */
  jobInfo?: (name: string) => JobInfo | undefined;
}

/** `1.2 MB` */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

function dumpLine(d: DumpStatus, env: EnvBackupStatus, zone: string): string {
  if (!d.latest) return "⚠ no dump found";
  const parts = [`latest ${formatLocalTime(d.latest.modifiedAt, zone)} (${formatDuration(d.ageMs ?? 0)} ago), ${formatBytes(d.latest.bytes)}`];
  if (d.flags.includes("stale")) parts.push(`⚠ older than ${formatDuration(env.freshnessMs)}`);
  if (d.flags.includes("small") && d.previous) {
    const pct = Math.round((1 - d.latest.bytes / d.previous.bytes) * 100);
    parts.push(`⚠ ${pct}% smaller than the previous dump (${formatBytes(d.previous.bytes)})`);
  }
  return parts.join(" · ");
}

function runReply(r: BackupReport, zone: string): Reply {
  const fields: ReplyField[] = r.databases.map((d) => ({ label: d.name, value: d.ok ? `ok · ${formatBytes(d.bytes ?? 0)} · ${d.path ?? ""}` : `FAILED: ${d.error ?? ""}` }));
  if (r.redis) fields.push({ label: "redis", value: r.redis.ok ? `ok · ${formatBytes(r.redis.bytes ?? 0)} · ${r.redis.path ?? ""}` : `FAILED: ${r.redis.error ?? ""}` });
  fields.push({ label: "retention", value: r.retentionError ? `FAILED: ${r.retentionError}` : `${r.deleted.length} old file(s) removed` });
  fields.push({ label: "heartbeat", value: r.heartbeatError ? `${r.heartbeat}: ${r.heartbeatError}` : r.heartbeat });
  return {
    status: r.ok ? "success" : "failure",
    title: `backup of ${r.env} ${r.ok ? "succeeded" : "failed"}`,
    lines: [`started ${formatLocalTime(r.startedAt, zone)}, took ${formatDuration(r.endedAt.getTime() - r.startedAt.getTime())}`],
    fields,
    ...(r.ok ? {} : { nextStep: "Fix what failed (see above), then run /backup run again; the heartbeat is only sent when everything succeeds.", code: reportFailures(r).join("\n") }),
  };
}

/** `/backup run <env>` runs the pre-backup of one environment now; `/backup status [env]` shows the latest dumps. */
export function createBackupHandler(options: BackupHandlerOptions): Handler {
  const { ops, timeZone } = options;

  function envArg(arg: string | undefined, required: boolean): string | undefined {
    if (arg === undefined) {
      if (required) throw new OpsError("bad_input", "/backup run needs an environment", `Use /backup run <env>; environments with backups: ${ops.envs().join(", ") || "none"}.`);
      return undefined;
    }
    if (!ops.envs().includes(arg)) {
      throw new OpsError("bad_input", `no backups are configured for "${escapeEcho(arg, 40)}"`, `Environments with backups: ${ops.envs().join(", ") || "none (add backups: to the config)"}.`);
    }
    return arg;
  }

  return {
    name: "backup",
    summary: "database backups: run the pre-backup now, or show the latest dumps",
    usage: ["/backup status [env]", "/backup run <env>"],
    permission(args) {
      const [sub, env, ...rest] = args;
      if ((sub !== "run" && sub !== "status" && sub !== undefined) || rest.length > 0) {
        throw new OpsError("bad_input", `unknown /backup arguments`, "Use /backup status [env] or /backup run <env>.");
      }
      if (sub === "run") return { key: "backup run", readOnly: false, env: envArg(env, true) as string };
      const e = envArg(env, false);
      return { key: "backup status", readOnly: true, ...(e ? { env: e } : {}) };
    },
    async run(command, progress) {
      const [sub, env] = command.args;
      if (sub === "run") {
        const name = envArg(env, true) as string;
        await progress(`backup of ${name} started`);
        return runReply(await ops.run(name, progress), timeZone);
      }
      const statuses = await ops.status(envArg(env, false));
      const fields: ReplyField[] = [];
      for (const s of statuses) {
        for (const d of [...s.databases, ...(s.redis ? [s.redis] : [])]) fields.push({ label: `${s.env}/${d.name}`, value: dumpLine(d, s, timeZone) });
      }
      const job = options.jobInfo?.(PRE_BACKUP_JOB);
      const lines: string[] = [];
      if (job) {
        lines.push(job.last ? `last pre-backup: ${job.last.result} at ${formatLocalTime(job.last.start, timeZone)}${job.last.summary ? ` — ${job.last.summary}` : ""}` : "last pre-backup: never run");
        lines.push(job.next ? `next pre-backup: ${formatLocalTime(job.next, timeZone)}` : "next pre-backup: not scheduled");
      } else lines.push("the pre-backup job is not enabled (jobs.pre_backup)");
      const flagged = fields.filter((f) => f.value.includes("⚠")).length;
      return {
        status: flagged > 0 ? "warning" : "info",
        title: flagged > 0 ? `backups: ${flagged} need attention` : `backups: ${fields.length} dump(s) look fine`,
        lines,
        fields,
        ...(flagged > 0 ? { nextStep: "Check the flagged databases: run /backup run <env>, and look at why a dump is old or small." } : {}),
        ...(statuses.length === 0 ? { lines: ["No backups are configured (backups: in the config)."] } : {}),
      };
    },
  };
}
