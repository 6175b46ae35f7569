import { StateError } from "../core/errors.js";
import { STATE_VERSION } from "./state.js";

type RawState = Record<string, unknown>;

/**
 * Ordered migrations: `migrations[i]` turns a version `i + 1` file into version `i + 2`. Each one
 * only reshapes plain JSON; the state schema validates the result. Append, never edit one that
 * has shipped.
 */
const migrations: Array<(raw: RawState) => RawState> = [
  // 1 → 2: the untyped layout (collections created on first use, some missing) becomes one schema;
  // missing collections get their empty defaults when the schema parses the result.
  (raw) => ({ ...raw, version: 2 }),
];

/** The version a raw file declares (files from before versioning count as 1). */
export function versionOf(raw: RawState): number {
  const v = raw["version"];
  return v === undefined ? 1 : typeof v === "number" && Number.isInteger(v) && v >= 1 ? v : Number.NaN;
}

/**
 * Bring a parsed state file up to `STATE_VERSION`. A file from a newer opsdeck is refused (this
 * code does not know its collections and would drop them on the next write).
 */
export function migrateState(raw: RawState, path: string): { state: RawState; from: number } {
  const from = versionOf(raw);
  if (Number.isNaN(from)) {
    throw new StateError(`state file ${path} has an invalid "version" (${JSON.stringify(raw["version"])}); opsdeck did not start and changed nothing. Restore the last good copy (state.json.last-good) or fix the version field.`);
  }
  if (from > STATE_VERSION) {
    throw new StateError(
      `state file ${path} is version ${from}, written by a newer opsdeck; this opsdeck reads version ${STATE_VERSION} at most. opsdeck did not start and changed nothing: upgrade opsdeck to the release that wrote it (or restore a backup taken before that upgrade).`,
    );
  }
  let state = raw;
  for (let v = from; v < STATE_VERSION; v++) {
    const step = migrations[v - 1];
    if (!step) throw new StateError(`no migration from state version ${v} to ${v + 1}; opsdeck did not start. This is a bug: report it with the state file's version.`);
    state = step(state);
  }
  return { state, from };
}
