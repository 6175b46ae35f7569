import type { CommandSpec } from "../core/command-spec.js";
import { auditSpec } from "./audit.js";
import { backupSpec } from "./backup-args.js";
import { deploySpec } from "./deploy.js";
import { infraSpec } from "./infra.js";
import { jobsSpec } from "./jobs.js";
import { previewSpec } from "./preview.js";
import { rollbackSpec } from "./rollback.js";
import { runbookSpec } from "./runbook.js";
import { seedSpec } from "./seed.js";
import { statusSpec } from "./status.js";

/** `/help` is answered by the router itself; Slack registers it as `/opsdeck`. */
export const helpSpec: CommandSpec = {
  name: "help",
  summary: "every command with its usage",
  subcommands: [],
  usage: ["/help"],
  aliases: ["opsdeck"],
};

/**
 * Every chat command opsdeck knows, in the order `/help` and the platforms list them. The app
 * registers a handler for each configured one; the rest answer "not configured here".
 */
export const COMMAND_SPECS: readonly CommandSpec[] = [previewSpec, deploySpec, rollbackSpec, seedSpec, backupSpec, runbookSpec, infraSpec, jobsSpec, statusSpec, auditSpec, helpSpec];
