import type { JobRun } from "../core/job-control.js";
import type { State } from "../store/state.js";

export type { JobRun, JobRunResult } from "../core/job-control.js";

export const MAX_RUNS_PER_JOB = 20;
/** Local dates remembered per daily job; enough to cover a long outage of the bot. */
export const MAX_DAILY_KEYS = 14;

/** `jobRuns` from the state (an empty list when the collection does not exist yet). */
export function getJobRuns(state: State): JobRun[] {
  const v = state["jobRuns"];
  return Array.isArray(v) ? (v as JobRun[]) : [];
}

/** `dailyRunKeys`: job name → local dates (`YYYY-MM-DD`) it has run on. */
export function getDailyRunKeys(state: State): Record<string, string[]> {
  const v = state["dailyRunKeys"];
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, string[]>) : {};
}

/** Mutators: call inside `store.update`. */
export function putJobRun(state: State, run: JobRun): void {
  const runs = getJobRuns(state).filter((r) => r.id !== run.id);
  runs.push(run);
  const mine = runs.filter((r) => r.name === run.name);
  const drop = new Set(mine.slice(0, Math.max(0, mine.length - MAX_RUNS_PER_JOB)).map((r) => r.id));
  state["jobRuns"] = runs.filter((r) => !drop.has(r.id));
}

export function addDailyRunKey(state: State, job: string, key: string): void {
  const all = { ...getDailyRunKeys(state) };
  const keys = [...(all[job] ?? []).filter((k) => k !== key), key].sort();
  all[job] = keys.slice(-MAX_DAILY_KEYS);
  state["dailyRunKeys"] = all;
}

/** The latest finished or running run of a job. */
export function lastRun(state: State, job: string): JobRun | undefined {
  const runs = getJobRuns(state).filter((r) => r.name === job);
  return runs[runs.length - 1];
}

/** The last failure of each job that was posted to the alert channel (`jobFailureReports`). */
export interface JobFailureReport {
  summary: string;
  at: string;
}

export function getJobFailureReports(state: State): Record<string, JobFailureReport> {
  const v = state["jobFailureReports"];
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, JobFailureReport>) : {};
}

export function setJobFailureReport(state: State, job: string, report: JobFailureReport | undefined): void {
  const all = { ...getJobFailureReports(state) };
  if (report) all[job] = report;
  else delete all[job];
  state["jobFailureReports"] = all;
}
