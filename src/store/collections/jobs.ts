import { z } from "zod";
import type { JobRun } from "../../core/job-control.js";
import { type Known, record } from "./known.js";

/** `state.jobRuns`: the last runs per job (owned by src/jobs/job-state.ts; the type lives in core for handlers). */
export const JobRunRecord = record({
  id: z.string(),
  name: z.string(),
  trigger: z.string(),
  start: z.string(),
  end: z.string().optional(),
  result: z.enum(["running", "succeeded", "failed", "interrupted"]),
  summary: z.string().optional(),
});
// Compile-time check that the schema and core's JobRun describe the same record, both ways.
const _toCore = (r: Known<z.infer<typeof JobRunRecord>>): JobRun => r;
const _fromCore = (r: JobRun): Known<z.infer<typeof JobRunRecord>> => r;
void _toCore;
void _fromCore;

/** `state.dailyRunKeys`: job name → local dates (`YYYY-MM-DD`) it has run on. */
export const DailyRunKeys = z.record(z.string(), z.array(z.string()));

/** `state.jobFailureReports`: the last failure of each job posted to the alert channel. */
export const JobFailureReport = record({ summary: z.string(), at: z.string() });
export type JobFailureReport = Known<z.infer<typeof JobFailureReport>>;
