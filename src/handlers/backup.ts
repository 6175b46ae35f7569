import { actorKey, type Command, type ProgressFn, type Reply, type ReplyField } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import { escapeEcho } from "../core/validate.js";
import { formatDuration, formatLocalTime } from "../core/format-local-time.js";
import { PRE_BACKUP_JOB, type JobControl, type JobInfo } from "../core/job-control.js";
import { reportFailures } from "../ops/backups/report-failures.js";
import type { DumpStatus, EnvBackupStatus } from "../ops/backups/backup-status.js";
import type { BackupOps, BackupReport } from "../ops/backups/create-backup-ops.js";
import { backupListReply, retentionDryRunReply } from "./backup-list-reply.js";
import { formatBytes } from "../core/format-bytes.js";
import { backupSpec, type BackupArgs } from "./backup-args.js";
import { defineParsedHandler, type Handler } from "./handler.js";
import type { ApprovalDesk } from "../ops/approvals/create-approval-desk.js";
import type { RestoreOp } from "../ops/backups/create-restore-op.js";
import { drillLine, type DrillOp } from "../ops/backups/create-drill-op.js";
import { restoreDetails, restoreOutcomeReply, restorePlanReply } from "../ops/backups/restore-outcome-reply.js";

export interface BackupHandlerOptions {
  ops: BackupOps;
  timeZone: string;
  /** The pre-backup job's schedule and last run, when the scheduler runs it. */
  jobInfo?: (name: string) => JobInfo | undefined;
  clock?: () => Date;
  /** `/backup restore`, when restores are wired (with the approval desk for protected environments). */
  restore?: RestoreOp;
  desk?: () => ApprovalDesk | undefined;
  /** `/backup drill`, and the last drill per database in `/backup status`. */
  drill?: DrillOp;
  /** `/backup run` goes through the scheduler's runNow (recorded as a job run, like a scheduled one) when the pre-backup job is scheduled. */
  jobs?: JobControl;
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
  if (r.offsite) fields.push({ label: "offsite", value: r.offsite.ok ? `ok · ${r.offsite.snapshots ?? 0} snapshot(s) to ${r.offsite.repository}, ${r.offsite.forgotten ?? 0} forgotten` : `FAILED: ${r.offsite.error ?? ""}` });
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

const DB_ARG = /^[a-z_][a-z0-9_]{0,62}$/;

/** `retention: 3d` or `daily 7, weekly 4, monthly 6, yearly 2`. */
function describeRetention(r: number | { daily: number; weekly: number; monthly: number; yearly: number }): string {
  return typeof r === "number" ? `keep ${formatDuration(r)}` : `GFS daily ${r.daily}, weekly ${r.weekly}, monthly ${r.monthly}, yearly ${r.yearly}`;
}

/** `/backup`: run the pre-backup now, show the latest dumps, list every dump, preview retention. */
export function createBackupHandler(options: BackupHandlerOptions): Handler {
  const { ops, timeZone } = options;
  const clock = options.clock ?? (() => new Date());

  function envArg(arg: string | undefined, required: boolean, sub: string): string | undefined {
    if (arg === undefined) {
      if (required) throw new OpsError("bad_input", `/backup ${sub} needs an environment`, `Use ${backupSpec.usage.find((u) => u.startsWith(`/backup ${sub}`)) ?? "/backup"}; environments with backups: ${ops.envs().join(", ") || "none"}.`);
      return undefined;
    }
    if (!ops.envs().includes(arg)) {
      throw new OpsError("bad_input", `no backups are configured for "${escapeEcho(arg, 40)}"`, `Environments with backups: ${ops.envs().join(", ") || "none (add backups: to the config)"}.`);
    }
    return arg;
  }

  function dbArg(env: string, arg: string | undefined): string | undefined {
    if (arg === undefined) return undefined;
    const names = ops.configOf(env).databases.map((d) => d.name);
    if (!DB_ARG.test(arg) || !names.includes(arg)) {
      throw new OpsError("bad_input", `${env} has no database "${escapeEcho(arg, 40)}" in its backups`, `Databases of ${env}: ${names.join(", ") || "none"}.`);
    }
    return arg;
  }

  /** The declaration's value checked against the config: backups of that environment, that database. */
  function check(a: BackupArgs): BackupArgs {
    const env = envArg(a.env, a.sub !== "status", a.sub);
    const db = env !== undefined && a.sub !== "pin" && a.sub !== "unpin" ? dbArg(env, a.db) : undefined;
    return { ...a, ...(env !== undefined ? { env } : {}), ...(db !== undefined ? { db } : {}) };
  }

  async function status(env: string | undefined): Promise<Reply> {
    const statuses = await ops.status(env);
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
    if (options.drill) {
      for (const s of statuses) {
        const cfg = ops.configOf(s.env);
        for (const db of await ops.list(s.env)) {
          const last = db.dumps.filter((d) => d.sidecar?.drill).sort((a, b) => Date.parse(b.sidecar?.drill?.at ?? "") - Date.parse(a.sidecar?.drill?.at ?? ""))[0];
          const drill = last?.sidecar?.drill;
          const age = drill ? clock().getTime() - Date.parse(drill.at) : 0;
          const value = !drill
            ? "⚠ never drilled"
            : `${drill.ok ? "passed" : "⚠ FAILED"} ${formatLocalTime(drill.at, timeZone)} (${formatDuration(age)} ago)${age > cfg.drill_max_age ? ` · ⚠ older than ${formatDuration(cfg.drill_max_age)}` : ""}`;
          fields.push({ label: `${s.env}/${db.name} drill`, value });
        }
      }
    }
    const flagged = fields.filter((f) => f.value.includes("⚠")).length;
    return {
      status: flagged > 0 ? "warning" : "info",
      title: flagged > 0 ? `backups: ${flagged} need attention` : `backups: ${fields.length} dump(s) look fine`,
      lines,
      fields,
      ...(flagged > 0 ? { nextStep: "Check the flagged databases: run /backup run <env>, and look at why a dump is old or small." } : {}),
      ...(statuses.length === 0 ? { lines: ["No backups are configured (backups: in the config)."] } : {}),
    };
  }

  async function restore(command: Command, a: BackupArgs, progress: ProgressFn): Promise<Reply> {
    const op = options.restore;
    if (!op) throw new OpsError("config", "restores are not enabled in this bot", "Ask an admin to configure backups for this environment.");
    const [env, db, ref] = [a.env as string, a.db as string, a.ref as string];
    const from = a.from;
    const plan = await op.plan(env, db, ref, from);
    if (a.dryRun) return restorePlanReply(plan, timeZone);
    if (plan.protected) {
      const desk = options.desk?.();
      if (!desk) throw new OpsError("config", `${env} is protected and this bot has no approval flow for it`, `Configure environments.${env}.approval, then ask again.`);
      // Bound to the exact dump and its source (never "latest": a newer dump may appear before someone approves).
      return desk.request(command, { kind: "restore", env, ref: plan.dump.id, currentTag: null, migrations: false, details: restoreDetails(plan, timeZone), source: from }, progress);
    }
    await progress(`restore of ${plan.dump.id} into ${env}/${db} started`);
    return restoreOutcomeReply(await op.run({ env, db, ref: plan.dump.id, actor: actorKey(command.actor), progress, from }), timeZone);
  }

  return defineParsedHandler(backupSpec, {
    check,
    permission(a) {
      const readOnly = a.sub !== "run" && a.sub !== "drill" && a.sub !== "pin" && a.sub !== "unpin" && !(a.sub === "restore" && !a.dryRun);
      return { key: `backup ${a.sub}`, readOnly, ...(a.env !== undefined ? { env: a.env } : {}) };
    },
    async run(command, progress, a) {
      if (a.sub === "run") {
        const name = a.env as string;
        await progress(`backup of ${name} started`);
        if (!options.jobs?.jobInfo(PRE_BACKUP_JOB)) return runReply(await ops.run(name, progress, actorKey(command.actor)), timeZone);
        // One path: the scheduler's runNow records it as a job run (trigger = who asked), like a scheduled run.
        const run = await options.jobs.runNow(PRE_BACKUP_JOB, actorKey(command.actor), { env: name, progress });
        const report = ops.lastReport(name);
        if (!report || report.startedAt.getTime() < Date.parse(run.start) - 1000) throw new OpsError("remote_failed", `backup of ${name} failed: ${run.summary ?? "no report"}`, "Fix the cause and run /backup run again; /jobs shows the run.");
        return runReply(report, timeZone);
      }
      if (a.sub === "pin" || a.sub === "unpin") {
        const id = await ops.pin(a.env as string, a.ref as string, a.sub === "pin");
        return { status: "success", title: `${id} ${a.sub === "pin" ? "pinned: retention keeps it until /backup unpin" : "unpinned: retention may delete it again"}`, lines: [] };
      }
      if (a.sub === "restore") return restore(command, a, progress);
      if (a.sub === "drill") {
        if (!options.drill) throw new OpsError("config", "restore drills are not enabled in this bot", "Ask an admin to configure backups.");
        const reports = await options.drill.drill(a.env as string, a.db, actorKey(command.actor), progress);
        const failed = reports.filter((r) => !r.ok);
        return {
          status: failed.length > 0 ? "failure" : "success",
          title: `restore drill of ${a.env}: ${reports.length - failed.length}/${reports.length} passed`,
          lines: reports.map(drillLine),
          ...(failed.length > 0 ? { nextStep: "The dump did not restore as expected: check the problems above, take a new dump (/backup run) and drill again." } : {}),
        };
      }
      if (a.sub === "list") return backupListReply(a.env as string, await ops.list(a.env as string, a.db), timeZone, clock(), await ops.listOffsite(a.env as string, a.db));
      if (a.sub === "retention") {
        if (!a.dryRun) throw new OpsError("bad_input", "retention runs with every pre-backup; on its own it only previews", `Use /backup retention ${a.env ?? "<env>"} --dry-run.`);
        const env = a.env as string;
        return retentionDryRunReply(env, await ops.list(env), timeZone, clock(), describeRetention(ops.configOf(env).retention));
      }
      return status(a.env);
    },
  });
}
