import { randomUUID } from "node:crypto";
import type { OperationRecord } from "../store/state.js";
import type { Store } from "../store/store.js";

/**
 * Write the `running` record before any side effect. After a crash the startup reconciliation
 * turns it into `interrupted` and reports it; nothing re-runs it on its own.
 */
export async function startOperation(store: Store, kind: string, target: string, actor: string, now: Date): Promise<OperationRecord> {
  const record: OperationRecord = { id: randomUUID(), kind, target, actor, status: "running", startedAt: now.toISOString() };
  await store.update((s) => {
    s.operations.push(record);
  });
  return record;
}

/** Close a journal entry; the caller redacts and bounds `summary` as its feature needs. */
export async function finishOperation(store: Store, id: string, status: "succeeded" | "failed", summary: string, now: Date): Promise<void> {
  await store.update((s) => {
    const op = s.operations.find((o) => o.id === id);
    if (!op) return;
    op.status = status;
    op.endedAt = now.toISOString();
    op.summary = summary;
  });
}
