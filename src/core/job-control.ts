/**
 * What handlers may know of the scheduled jobs: their runs, what `/jobs` lists and how to run one
 * now. The scheduler (src/jobs/scheduler.ts) implements `JobControl`; handlers receive it as an
 * argument and never import from src/jobs.
 */

export type JobRunResult = "running" | "succeeded" | "failed" | "interrupted";

/** One run of a job, kept in state under `jobRuns` (the last few per job). */
export interface JobRun {
  id: string;
  name: string;
  /** `schedule`, or the actor key of whoever ran it by hand (`/jobs run`). */
  trigger: string;
  start: string;
  end?: string;
  result: JobRunResult;
  summary?: string;
}

export interface JobInfo {
  name: string;
  description: string;
  schedule: string;
  running: boolean;
  next: Date | null;
  last: JobRun | undefined;
}

/** What a run by hand may narrow or watch: one environment (`/backup run <env>`), progress lines. */
export interface JobInput {
  env?: string;
  progress?: (step: string) => Promise<void>;
}

export interface JobControl {
  /** Run a job now (recorded like a scheduled run, with `trigger` as who asked). */
  runNow(name: string, trigger: string, input?: JobInput): Promise<JobRun>;
  list(now?: Date): JobInfo[];
  jobInfo(name: string, now?: Date): JobInfo | undefined;
}

/** The daily dump job's name (shown by `/backup status`). */
export const PRE_BACKUP_JOB = "pre-backup";
