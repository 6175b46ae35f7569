import type { OperationRecord, State } from "./state.js";

export interface PrunePolicy {
  /** Finished operations older than this many days are dropped (default 90). */
  keepOperationsDays: number;
  /** At most this many finished operations are kept, the newest (default 5000). */
  maxOperations: number;
}

export const DEFAULT_PRUNE_POLICY: PrunePolicy = { keepOperationsDays: 90, maxOperations: 5000 };

/** Finished: succeeded, failed, or interrupted and already reported. Open entries are never pruned. */
function finished(op: OperationRecord): boolean {
  return op.status === "succeeded" || op.status === "failed" || (op.status === "interrupted" && op.reportedAt !== undefined);
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

  let finishedCount = 0;
  for (const op of state.operations) if (finished(op)) finishedCount++;
  let overCount = Math.max(0, finishedCount - policy.maxOperations);
  const ops = state.operations;
  // Entries are appended in start order, so the oldest finished ones come first.
  const kept = ops.filter((op) => {
    if (!finished(op)) return true;
    if (overCount > 0) {
      overCount--;
      return false;
    }
    const at = Date.parse(op.endedAt ?? op.startedAt);
    return !(Number.isFinite(at) && at < cutoff);
  });
  if (kept.length !== ops.length) state.operations = kept;

  const approvals = state.approvals.filter((a) => a.status === "pending" || !(Date.parse(a.decidedAt ?? a.expiresAt) < cutoff));
  if (approvals.length !== state.approvals.length) state.approvals = approvals;

  return before - (state.operations.length + state.approvals.length);
}
