import { OpsError } from "../core/errors.js";
import { formatDuration } from "../core/format-local-time.js";
import type { Logger } from "../core/logger.js";
import type { Notifier } from "../core/notifier.js";
import type { Store } from "../store/store.js";
import { getJobFailureReports, putJobRun, setJobFailureReport, type JobRun } from "./job-state.js";

export interface JobOutcomeOptions {
  store: Store;
  notifier: Notifier;
  log: Logger;
  clock: () => Date;
  /** An identical failure of the same job is posted again only after this long. */
  failureRepeatMs: number;
}

/**
 * Store a finished run and tell the alert channel what changed. A job that keeps failing the
 * same way (every minute, every 30 min) is reported again only after `failureRepeatMs`; a
 * different failure, or a success after failures, is reported at once.
 */
export function createJobOutcomeRecorder(options: JobOutcomeOptions): (name: string, previous: JobRun | undefined, finished: JobRun, thrown: unknown) => Promise<void> {
  const { store, notifier, log, clock, failureRepeatMs } = options;

  async function report(name: string, err: unknown, repeatMs: number): Promise<void> {
    const title = `job ${name} failed`;
    const again = `If it keeps failing the same way, this is repeated at most every ${formatDuration(repeatMs)}; you will hear when it succeeds again.`;
    const reply =
      err instanceof OpsError
        ? { status: "failure" as const, title, lines: [err.message, again], nextStep: err.nextStep, ...(err.details ? { code: err.details } : {}) }
        : { status: "failure" as const, title, lines: [err instanceof Error ? err.message : String(err), again], nextStep: "This is a bug or an unexpected condition; the details are in the opsdeck log." };
    try {
      await notifier.notify(reply);
    } catch (notifyErr) {
      log.error({ err: notifyErr, job: name }, "could not post the job failure to the alert channel");
    }
  }

  return async function recordOutcome(name, previous, finished, thrown) {
    const lastReport = getJobFailureReports(store.read())[name];
    const repeat =
      finished.result === "failed" &&
      previous?.result === "failed" &&
      lastReport !== undefined &&
      lastReport.summary === finished.summary &&
      clock().getTime() - Date.parse(lastReport.at) < failureRepeatMs;
    await store.update((s) => {
      putJobRun(s, finished);
      if (finished.result === "failed" && !repeat) setJobFailureReport(s, name, { summary: finished.summary ?? "", at: clock().toISOString() });
      if (finished.result === "succeeded") setJobFailureReport(s, name, undefined);
    });
    if (finished.result === "failed") {
      if (repeat) log.warn({ job: name }, "job failed again the same way; not reported again yet");
      else await report(name, thrown, failureRepeatMs);
    } else if (previous?.result === "failed") {
      await notifier
        .notify({ status: "success" as const, title: `job ${name} succeeded again`, lines: [finished.summary ?? ""] })
        .catch((err: unknown) => log.error({ err, job: name }, "could not post the job recovery to the alert channel"));
    }
  };
}
