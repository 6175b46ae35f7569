import { actorKey, type Reply } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import { escapeEcho } from "../core/validate.js";
import { formatLocalTime } from "../core/format-local-time.js";
import type { JobControl, JobInfo } from "../core/job-control.js";
import type { CommandSpec } from "../core/command-spec.js";
import { defineParsedHandler, type Handler } from "./handler.js";

export interface JobsHandlerOptions {
  scheduler: Pick<JobControl, "list" | "runNow">;
  timeZone: string;
}

const JOB_NAME = /^[a-z][a-z0-9-]{0,40}$/;

export const jobsSpec: CommandSpec = {
  name: "jobs",
  summary: "scheduled jobs: schedules, next and last runs; run one now",
  subcommands: ["run"],
  usage: ["/jobs", "/jobs run <name>"],
};

/** `/jobs` or `/jobs run <name>`. */
type JobsArgs = { sub: "list" } | { sub: "run"; name: string };

function parseJobsArgs(args: string[]): JobsArgs {
  if (args.length === 0) return { sub: "list" };
  if (args[0] !== "run") throw new OpsError("bad_input", `unknown /jobs argument "${escapeEcho(args[0] ?? "", 40)}"`, "Use /jobs or /jobs run <name>.");
  const name = args[1] ?? "";
  if (args.length !== 2 || !JOB_NAME.test(name)) {
    throw new OpsError("bad_input", "/jobs run needs one job name", `Use /jobs run <name>; the names are listed by /jobs.`);
  }
  return { sub: "run", name };
}

function describeJob(j: JobInfo, zone: string): string {
  const next = j.running ? "running now" : j.next ? `next ${formatLocalTime(j.next, zone)}` : "no next run";
  const last = j.last ? `last ${j.last.result} ${formatLocalTime(j.last.start, zone)}${j.last.summary ? ` — ${j.last.summary}` : ""}` : "never run";
  return `${j.schedule} · ${next} · ${last}`;
}

/** `/jobs` lists the scheduled jobs; `/jobs run <name>` (admins by default) runs one now. */
export function createJobsHandler(options: JobsHandlerOptions): Handler {
  const { scheduler, timeZone } = options;
  return defineParsedHandler<JobsArgs>(jobsSpec, {
    parse: parseJobsArgs,
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
