import type { State } from "./state.js";

export interface PrunePolicy {
  /** Finished operations older than this many days are dropped (default 90). */
  keepOperationsDays: number;
  /** At most this many finished operations are kept, the newest (default 5000). */
  maxOperations: number;
}

export const DEFAULT_PRUNE_POLICY: PrunePolicy = { keepOperationsDays: 90, maxOperations: 5000 };

/** The fields pruning reads: a typed record, or a raw one from the file before it is validated. */
interface PrunableOperation {
  status?: unknown;
  reportedAt?: unknown;
  endedAt?: unknown;
  startedAt?: unknown;
}

/** Finished: succeeded, failed, or interrupted and already reported. Open entries are never pruned. */
function finished(op: PrunableOperation): boolean {
  return op.status === "succeeded" || op.status === "failed" || (op.status === "interrupted" && op.reportedAt !== undefined);
}

/** The operations to keep: every open one, and the finished ones inside the age and count bounds. */
function keptOperations<T extends PrunableOperation>(ops: T[], policy: PrunePolicy, now: Date): T[] {
  const cutoff = now.getTime() - policy.keepOperationsDays * 86_400_000;
  let finishedCount = 0;
  for (const op of ops) if (finished(op)) finishedCount++;
  let overCount = Math.max(0, finishedCount - policy.maxOperations);
  // Entries are appended in start order, so the oldest finished ones come first.
  return ops.filter((op) => {
    if (!finished(op)) return true;
    if (overCount > 0) {
      overCount--;
      return false;
    }
    const when = op.endedAt ?? op.startedAt;
    const at = typeof when === "string" ? Date.parse(when) : Number.NaN;
    return !(Number.isFinite(at) && at < cutoff);
  });
}

/**
 * The same operation pruning on the file's raw value, before the schema validates it: a year of
 * history is mostly finished entries that would be validated only to be dropped (at 100k entries
 * validation is most of the start-up). Only entries that are objects with a finished status are
 * dropped; anything else is kept and validated. Returns how many went.
 */
export function pruneRawOperations(raw: Record<string, unknown>, policy: PrunePolicy, now: Date): number {
  const ops = raw["operations"];
  if (!Array.isArray(ops) || !ops.every((op) => typeof op === "object" && op !== null && !Array.isArray(op))) return 0;
  const kept = keptOperations(ops as PrunableOperation[], policy, now);
  if (kept.length === ops.length) return 0;
  raw["operations"] = kept;
  return ops.length - kept.length;
}

/**
 * Drop finished journal entries past the policy's age or count, and decided approvals past the
 * same age. Deploy history (`deployments`, what `/deploy history` and `/rollback` read) is bounded
 * per env by its owner and not touched here; audit lives in its own file. Returns how many
 * records went. One pass per collection: cheap enough to run every batch of writes.
 */
export function pruneState(state: State, policy: PrunePolicy, now: Date): number {
  const cutoff = now.getTime() - policy.keepOperationsDays * 86_400_000;
  const before = state.operations.length + state.approvals.length;

  const kept = keptOperations(state.operations, policy, now);
  if (kept.length !== state.operations.length) state.operations = kept;

  const approvals = state.approvals.filter((a) => a.status === "pending" || !(Date.parse(a.decidedAt ?? a.expiresAt) < cutoff));
  if (approvals.length !== state.approvals.length) state.approvals = approvals;

  return before - (state.operations.length + state.approvals.length);
}
