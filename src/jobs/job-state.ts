import type { JobRun } from "../core/job-control.js";
import type { JobFailureReport } from "../store/collections/jobs.js";
import type { State } from "../store/state.js";

export type { JobRun, JobRunResult } from "../core/job-control.js";

export const MAX_RUNS_PER_JOB = 20;
/** Local dates remembered per daily job; enough to cover a long outage of the bot. */
export const MAX_DAILY_KEYS = 14;

/** `jobRuns` from the state. */
export function getJobRuns(state: State): JobRun[] {
  return state.jobRuns;
}

/** `dailyRunKeys`: job name → local dates (`YYYY-MM-DD`) it has run on. */
export function getDailyRunKeys(state: State): Record<string, string[]> {
  return state.dailyRunKeys;
}

/** Mutators: call inside `store.update`. */
export function putJobRun(state: State, run: JobRun): void {
  const runs = getJobRuns(state).filter((r) => r.id !== run.id);
  runs.push(run);
  const mine = runs.filter((r) => r.name === run.name);
  const drop = new Set(mine.slice(0, Math.max(0, mine.length - MAX_RUNS_PER_JOB)).map((r) => r.id));
  state.jobRuns = runs.filter((r) => !drop.has(r.id));
}

export function addDailyRunKey(state: State, job: string, key: string): void {
  const all = { ...getDailyRunKeys(state) };
  const keys = [...(all[job] ?? []).filter((k) => k !== key), key].sort();
  all[job] = keys.slice(-MAX_DAILY_KEYS);
  state.dailyRunKeys = all;
}

/** The latest finished or running run of a job. */
export function lastRun(state: State, job: string): JobRun | undefined {
  const runs = getJobRuns(state).filter((r) => r.name === job);
  return runs[runs.length - 1];
}

/** The last failure of each job that was posted to the alert channel (`jobFailureReports`). */
export type { JobFailureReport } from "../store/collections/jobs.js";

export function getJobFailureReports(state: State): Record<string, JobFailureReport> {
  return state.jobFailureReports;
}

export function setJobFailureReport(state: State, job: string, report: JobFailureReport | undefined): void {
  const all = { ...getJobFailureReports(state) };
  if (report) all[job] = report;
  else delete all[job];
  state.jobFailureReports = all;
}
