import type { OperationRecord } from "../../store/state.js";
import type { Store } from "../../store/store.js";

/**
 * At start-up: deploys and rollbacks still `running` were cut off by a crash or restart. Mark
 * them `interrupted` (nothing is re-run) and return them once, for the alert channel.
 */
export async function markInterruptedDeploys(store: Store, clock: () => Date = () => new Date()): Promise<OperationRecord[]> {
  return store.update((s) => {
    const now = clock().toISOString();
    const hit: OperationRecord[] = [];
    for (const op of s.operations) {
      if ((op.kind === "deploy" || op.kind === "rollback") && op.status === "running") {
        op.status = "interrupted";
        op.endedAt = now;
        op.reportedAt = now;
        op.summary = `${op.summary ?? op.kind}: interrupted by a restart; check the environment with /deploy history ${op.target} and the host`;
        hit.push({ ...op });
      }
    }
    return hit;
  });
}
