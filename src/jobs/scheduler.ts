import type Bree from "bree";
import { OpsError } from "../core/errors.js";
import type { JobControl, JobInfo, JobInput } from "../core/job-control.js";
import type { Logger } from "../core/logger.js";
import type { Notifier } from "../core/notifier.js";
import type { Redactor } from "../core/redact.js";
import type { Store } from "../store/store.js";
import { createJournal } from "../ops/journal/create-journal.js";
import { cronNext } from "../core/cron-next.js";
import { dailyInstant, localDate, localDayRange, nextDailyRun } from "./daily-schedule.js";
import { createJobOutcomeRecorder } from "./job-outcome.js";
import { reconcileJobRuns } from "./job-run-reconcile.js";
import { addDailyRunKey, getDailyRunKeys, getJobRuns, lastRun, putJobRun, type JobRun } from "./job-state.js";

export type JobSchedule =
  | { kind: "cron"; cron: string }
  | { kind: "every"; ms: number }
  /** Once per local calendar day at `time` (`HH:MM`) in the scheduler's zone. */
  | { kind: "daily"; time: string };

export interface JobContext {
  /** The scheduler's clock at the start of the run. */
  now: Date;
  /** `schedule` or the actor key of whoever asked. */
  trigger: string;
  /** Given by a run by hand (`/backup run <env>`): the job narrows itself to it. */
  input?: JobInput;
}

export interface JobDefinition {
  name: string;
  description: string;
  schedule: JobSchedule;
  /** Returns a one-line summary; throws (preferably `OpsError`) on failure. */
  run(ctx: JobContext): Promise<{ summary: string }>;
}

export interface SchedulerOptions {
  jobs: JobDefinition[];
  store: Store;
  notifier: Notifier;
  redact: Redactor;
  log: Logger;
  /** IANA zone for cron and daily schedules. */
  timeZone: string;
  clock?: () => Date;
  /** How often daily jobs check whether they are due (default one minute). */
  dailyCheckMs?: number;
  /** An identical failure of the same job is posted again only after this long (default 4 h). */
  failureRepeatMs?: number;
}

export type { JobInfo };

export interface Scheduler extends JobControl {
  /** Mark runs a previous process left `running` as `interrupted` (reported once), then start the timers. */
  start(): Promise<void>;
  /** Stop the timers and wait for running jobs to finish. */
  stop(): Promise<void>;
  /** Run a job now (`/jobs run`). Throws `OpsError` `not_found` / `busy`; a failing job resolves with a `failed` run. */
  runNow(name: string, trigger: string, input?: JobInput): Promise<JobRun>;
  /** Run every daily job that is due at `now` (the minute tick; tests drive it with a fake clock). */
  tickDaily(now?: Date): Promise<JobRun[]>;
  list(now?: Date): JobInfo[];
  jobInfo(name: string, now?: Date): JobInfo | undefined;
}

export function describeSchedule(s: JobSchedule, zone: string): string {
  if (s.kind === "cron") return `cron ${s.cron} (${zone})`;
  if (s.kind === "daily") return `daily at ${s.time} (${zone})`;
  const mins = s.ms / 60_000;
  return Number.isInteger(mins) ? `every ${mins} min` : `every ${s.ms / 1000} s`;
}

/**
 * Runs the jobs inside the bot process: Bree fires the timers, each run is recorded in
 * `jobRuns`, a job never overlaps itself, and a job that throws is reported to the alert channel
 * without stopping anything else. Daily jobs do not use Bree's cron (its time-zone handling
 * takes the offset at "now", so on a daylight-saving day a 02:55 job can fire twice or never):
 * they are checked every minute against the zone's rules, with the local date recorded in
 * `dailyRunKeys`, so they run exactly once per local calendar day.
 */
export function createScheduler(options: SchedulerOptions): Scheduler {
  const { store, notifier, redact, log, timeZone } = options;
  const clock = options.clock ?? (() => new Date());
  // Every run is an operations-journal entry (kind `job`); the job-run record shares its id.
  const journal = createJournal({ store, redact, clock });
  const recordOutcome = createJobOutcomeRecorder({ store, notifier, log, clock, failureRepeatMs: options.failureRepeatMs ?? 4 * 3_600_000 });
  const byName = new Map(options.jobs.map((j) => [j.name, j]));
  const running = new Map<string, Promise<JobRun>>();
  let bree: Bree | undefined;
  let startedAt = clock();

  async function execute(job: JobDefinition, trigger: string, dailyKey?: string, input?: JobInput): Promise<JobRun> {
    const now = clock();
    const previous = getJobRuns(store.read()).filter((r) => r.name === job.name && r.result !== "running").pop();
    const run: JobRun = { id: await journal.begin("job", job.name, trigger), name: job.name, trigger, start: now.toISOString(), result: "running" };
    await store.update((s) => {
      putJobRun(s, run);
      if (dailyKey) addDailyRunKey(s, job.name, dailyKey);
    });
    let done: JobRun;
    let thrown: unknown;
    try {
      const { summary } = await job.run({ now, trigger, ...(input ? { input } : {}) });
      done = { ...run, end: clock().toISOString(), result: "succeeded", summary: redact(summary) };
    } catch (err) {
      thrown = err;
      log.error({ err, job: job.name }, "job failed");
      done = { ...run, end: clock().toISOString(), result: "failed", summary: redact(err instanceof Error ? err.message : String(err)) };
    }
    await journal.finish(run.id, done.result === "succeeded" ? "succeeded" : "failed", done.summary ?? "");
    await recordOutcome(job.name, previous, done, thrown);
    return done;
  }

  /** Start a run unless one is in flight; the run never rejects. */
  function launch(job: JobDefinition, trigger: string, dailyKey?: string, input?: JobInput): Promise<JobRun> | null {
    if (running.has(job.name)) return null;
    const p = execute(job, trigger, dailyKey, input).finally(() => running.delete(job.name));
    running.set(job.name, p);
    return p;
  }

  /** Per daily job: the local day last looked at and when the job is due in it (checked every minute, so cached). */
  const dayCache = new Map<string, { date: string; start: number; end: number; dueAt: number }>();

  async function runDailyIfDue(job: JobDefinition, now: Date): Promise<JobRun | null> {
    if (job.schedule.kind !== "daily" || running.has(job.name)) return null;
    const t = now.getTime();
    let day = dayCache.get(job.name);
    if (!day || t < day.start || t >= day.end) {
      const date = localDate(now, timeZone);
      day = { date, ...localDayRange(date, timeZone), dueAt: dailyInstant(date, job.schedule.time, timeZone).getTime() };
      dayCache.set(job.name, day);
    }
    if (t < day.dueAt || (getDailyRunKeys(store.read())[job.name] ?? []).includes(day.date)) return null;
    return launch(job, "schedule", day.date);
  }

  /** What Bree's timer calls. */
  async function onTimer(name: string): Promise<void> {
    const job = byName.get(name);
    if (!job) return;
    try {
      if (job.schedule.kind === "daily") await runDailyIfDue(job, clock());
      else {
        const p = launch(job, "schedule");
        if (p === null) log.info({ job: name }, "previous run still going; this run is skipped");
        else await p;
      }
    } catch (err) {
      // Only the store can fail here; the scheduler must keep going.
      log.error({ err, job: name }, "could not run the job");
    }
  }

  function nextRun(job: JobDefinition, now: Date): Date | null {
    const s = job.schedule;
    if (s.kind === "cron") return cronNext(s.cron, now, timeZone);
    if (s.kind === "daily") return nextDailyRun(now, s.time, timeZone, getDailyRunKeys(store.read())[job.name] ?? []);
    const last = lastRun(store.read(), job.name);
    const base = last && Date.parse(last.start) > startedAt.getTime() ? new Date(last.start) : startedAt;
    let next = base.getTime() + s.ms;
    if (next < now.getTime()) next = now.getTime() + s.ms - ((now.getTime() - base.getTime()) % s.ms);
    return new Date(next);
  }

  function info(job: JobDefinition, now: Date): JobInfo {
    return {
      name: job.name,
      description: job.description,
      schedule: describeSchedule(job.schedule, timeZone),
      running: running.has(job.name),
      next: nextRun(job, now),
      last: lastRun(store.read(), job.name),
    };
  }

  return {
    async start() {
      startedAt = clock();
      await reconcileJobRuns({ store, journal, notifier, clock });
      // Loaded here, not at import: a one-shot `opsdeck run` never starts the jobs and skips Bree.
      const { createInProcessBree } = await import("./in-process-bree.js");
      bree = createInProcessBree({
        timeZone,
        log,
        runJob: onTimer,
        jobs: options.jobs.map((j) =>
          j.schedule.kind === "cron"
            ? { name: j.name, cron: j.schedule.cron }
            : j.schedule.kind === "every"
              ? { name: j.name, interval: j.schedule.ms }
              : { name: j.name, interval: options.dailyCheckMs ?? 60_000, timeout: 0 },
        ),
      });
      await bree.start();
    },
    async stop() {
      if (bree) await bree.stop();
      bree = undefined;
      await Promise.allSettled([...running.values()]);
    },
    async runNow(name, trigger, input) {
      const job = byName.get(name);
      if (!job) {
        throw new OpsError("not_found", `no job named "${name.slice(0, 40)}"`, `Known jobs: ${[...byName.keys()].join(", ") || "none"}.`);
      }
      const p = launch(job, trigger, undefined, input);
      if (p === null) {
        throw new OpsError("busy", `job ${name} is already running`, "Wait for it to finish; /jobs shows its last run.");
      }
      return p;
    },
    async tickDaily(now = clock()) {
      const runs: JobRun[] = [];
      for (const job of options.jobs) {
        const r = await runDailyIfDue(job, now);
        if (r) runs.push(r);
      }
      return runs;
    },
    list(now = clock()) {
      return options.jobs.map((j) => info(j, now));
    },
    jobInfo(name, now = clock()) {
      const job = byName.get(name);
      return job ? info(job, now) : undefined;
    },
  };
}
