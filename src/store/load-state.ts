import type { z } from "zod";
import { StateError } from "../core/errors.js";
import { migrateState } from "./migrations.js";
import { type State, StateSchema } from "./state.js";

/** `approvals[3].status`, `alertStates["http:shop"].history[0]`. */
export function issuePath(path: ReadonlyArray<PropertyKey>): string {
  let out = "";
  for (const p of path) {
    if (typeof p === "number") out += `[${p}]`;
    else if (typeof p === "string" && /^[A-Za-z_$][\w$]*$/.test(p)) out += out ? `.${p}` : p;
    else out += `[${JSON.stringify(String(p))}]`;
  }
  return out || "(top level)";
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `  ${issuePath(i.path)}: ${i.message}`)
    .join("\n");
}

export interface LoadedState {
  state: State;
  /** The version the file declared before migration. */
  from: number;
}

/**
 * Parse a state file's JSON value: migrate it to the current version, then validate every
 * collection (after `beforeValidation`, which may drop records from the migrated value). A collection of the wrong shape stops start-up, naming the path of the first bad
 * fields. Top-level keys this version does not know are kept as they are (written back untouched).
 */
export function loadState(raw: unknown, path: string, beforeValidation?: (migrated: Record<string, unknown>) => void): LoadedState {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new StateError(`state file ${path} is not an opsdeck state file (not a JSON object)`);
  const { state: migrated, from } = migrateState(raw as Record<string, unknown>, path);
  // E.g. pruning finished history, so that only what is kept is validated.
  beforeValidation?.(migrated);
  const parsed = StateSchema.safeParse(migrated);
  if (!parsed.success) {
    throw new StateError(
      `state file ${path} has a collection of the wrong shape:\n${describeIssues(parsed.error)}\n` +
        `opsdeck did not start and changed nothing. Fix those fields in ${path}, or restore the last good copy (state.json.last-good).`,
    );
  }
  const state: State = parsed.data;
  const known = new Set(Object.keys(StateSchema.shape));
  for (const [key, value] of Object.entries(migrated)) if (!known.has(key)) Object.assign(state, { [key]: value });
  return { state, from };
}
