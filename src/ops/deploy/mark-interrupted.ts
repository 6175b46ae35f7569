import type { OperationRecord } from "../../store/state.js";
import type { Store } from "../../store/store.js";
import { createJournal } from "../journal/create-journal.js";

/** The journal's start-up reconciliation, for deploys and rollbacks only (the app runs it for every kind). */
export async function markInterruptedDeploys(store: Store, clock: () => Date = () => new Date()): Promise<OperationRecord[]> {
  return createJournal({ store, clock }).reconcileAtStart((op) => op.kind === "deploy" || op.kind === "rollback");
}
