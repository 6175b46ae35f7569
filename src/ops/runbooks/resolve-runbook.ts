import type { Runbook, RunbookStep, Runbooks } from "../../config/seed-config.js";
import { OpsError } from "../../core/errors.js";
import { escapeEcho } from "../../core/validate.js";
import { ownValue } from "../../core/own-value.js";

const NAME = /^[a-z0-9-]{1,63}$/;

/** A runbook by name; names are keys from the config, so anything else is refused before lookup. */
export function resolveRunbook(runbooks: Runbooks, raw: string | undefined): { name: string; runbook: Runbook } {
  const names = Object.keys(runbooks);
  const listing = names.length > 0 ? `Runbooks: ${names.join(", ")} (/runbook list).` : "No runbooks are configured (runbooks: in the config).";
  if (raw === undefined || raw === "") throw new OpsError("bad_input", "which runbook?", `Type /runbook show <name>. ${listing}`);
  if (!NAME.test(raw)) {
    throw new OpsError("bad_input", `"${escapeEcho(raw, 40)}" is not a runbook name: names are lowercase letters, digits and dashes`, listing);
  }
  const runbook = ownValue(runbooks, raw);
  if (!runbook) throw new OpsError("not_found", `there is no runbook named ${raw}`, listing);
  return { name: raw, runbook };
}

/** A step by number (1-based) or by name. */
export function resolveStep(name: string, runbook: Runbook, raw: string | undefined): { index: number; step: RunbookStep } {
  const listing = `Steps of ${name}: ${runbook.steps.map((s, i) => `${i + 1} ${s.name}`).join(", ")}.`;
  if (raw === undefined) return { index: 0, step: runbook.steps[0] as RunbookStep };
  if (/^\d{1,4}$/.test(raw)) {
    const index = Number(raw) - 1;
    const step = runbook.steps[index];
    if (!step) throw new OpsError("not_found", `${name} has no step ${raw}; it has ${runbook.steps.length}`, listing);
    return { index, step };
  }
  if (!NAME.test(raw)) {
    throw new OpsError("bad_input", `"${escapeEcho(raw, 40)}" is not a step number or name: names are lowercase letters, digits and dashes`, listing);
  }
  const index = runbook.steps.findIndex((s) => s.name === raw);
  const step = runbook.steps[index];
  if (!step) throw new OpsError("not_found", `${name} has no step named ${raw}`, listing);
  return { index, step };
}
