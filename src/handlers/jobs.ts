import { actorKey, type Reply } from "../core/command.js";
import { escapeEcho } from "../core/validate.js";
import { formatLocalTime } from "../core/format-local-time.js";
import type { JobControl, JobInfo } from "../core/job-control.js";
import { z } from "zod";
import { defineCommand } from "../core/command-spec.js";
import { variant } from "../core/command-args.js";
import { defineParsedHandler, type Handler } from "./handler.js";

export interface JobsHandlerOptions {
  scheduler: Pick<JobControl, "list" | "runNow">;
  timeZone: string;
}

const JOB_NAME = /^[a-z][a-z0-9-]{0,40}$/;

const runNeedsName = { message: "/jobs run needs one job name", nextStep: "Use /jobs run <name>; the names are listed by /jobs." };
/** `/jobs` or `/jobs run <name>`. */
export const jobsSpec = defineCommand({
  name: "jobs",
  summary: "scheduled jobs: schedules, next and last runs; run one now",
  variants: [
    variant({ schema: z.object({}).transform(() => ({ sub: "list" as const })) }),
    variant({ sub: "run", positionals: [{ name: "name" }], schema: z.object({ name: z.string().regex(JOB_NAME, { error: runNeedsName.message }) }).transform((a) => ({ sub: "run" as const, ...a })), hint: runNeedsName.nextStep }),
  ],
  messages: {
    extra: (word, ctx) => (ctx.variant?.sub === "run" ? runNeedsName : { message: `unknown /jobs argument "${escapeEcho(word, 40)}"`, nextStep: "Use /jobs or /jobs run <name>." }),
    missing: () => runNeedsName,
  },
});

function describeJob(j: JobInfo, zone: string): string {
  const next = j.running ? "running now" : j.next ? `next ${formatLocalTime(j.next, zone)}` : "no next run";
  const last = j.last ? `last ${j.last.result} ${formatLocalTime(j.last.start, zone)}${j.last.summary ? ` — ${j.last.summary}` : ""}` : "never run";
  return `${j.schedule} · ${next} · ${last}`;
}

/** `/jobs` lists the scheduled jobs; `/jobs run <name>` (admins by default) runs one now. */
export function createJobsHandler(options: JobsHandlerOptions): Handler {
  const { scheduler, timeZone } = options;
  return defineParsedHandler(jobsSpec, {
    permission: (args) => (args.sub === "run" ? { key: "jobs run", readOnly: false } : { key: "jobs", readOnly: true }),
    async run(command, progress, args): Promise<Reply> {
      if (args.sub === "list") {
        const jobs = scheduler.list();
        return {
          status: "info",
          title: `${jobs.length} scheduled job${jobs.length === 1 ? "" : "s"} (${timeZone})`,
          fields: jobs.map((j) => ({ label: j.name, value: describeJob(j, timeZone) })),
          ...(jobs.length === 0 ? { lines: ["No job is enabled in the config (jobs:)."] } : {}),
        };
      }
      const { name } = args;
      await progress(`running job ${name}…`);
      const run = await scheduler.runNow(name, actorKey(command.actor));
      return {
        status: run.result === "succeeded" ? "success" : "failure",
        title: `job ${name} ${run.result}`,
        lines: run.summary ? [run.summary] : [],
        ...(run.result === "succeeded" ? {} : { nextStep: "The failure was also posted to the alert channel; fix the cause and run it again." }),
      };
    },
  });
}
