import type { ApprovalRecord } from "../../store/collections/approvals.js";
import type { State } from "../../store/state.js";

/**
 * A request for a second person's decision, bound to the exact environment and ref it was asked
 * for. Persisted in `state.approvals`, so its buttons still work after a restart. The record's
 * schema (loose: unknown fields are kept) is src/store/collections/approvals.ts; add fields there.
 */
export type { ApprovalKind, ApprovalRecord, ApprovalStatus, ApprovalVote } from "../../store/collections/approvals.js";

/** Request ids are 8 lowercase hex digits; a button carries one. */
export const APPROVAL_ID = /^[0-9a-f]{8}$/;

/** The `approvals` collection. */
export function approvalsOf(state: State): ApprovalRecord[] {
  return state.approvals;
}

/** Read-only lookup. */
export function findApproval(state: State, id: string): ApprovalRecord | undefined {
  return state.approvals.find((a) => a.id === id);
}
