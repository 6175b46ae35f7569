import type { State } from "../../store/state.js";

export type ApprovalKind = "deploy" | "rollback" | "migration" | "infra-down" | "restore";
export type ApprovalStatus = "pending" | "approved" | "rejected" | "expired";

export interface ApprovalVote {
  actor: string;
  name: string;
  at: string;
}

/**
 * A request for a second person's decision, bound to the exact environment and ref it was asked
 * for. Persisted in `state.approvals`, so its buttons still work after a restart.
 */
export interface ApprovalRecord {
  id: string;
  kind: ApprovalKind;
  env: string;
  ref: string;
  /** The tag live when the request was made, shown as `current → requested`. */
  currentTag: string | null;
  /** Whether the environment's migration command would run. */
  migrations: boolean;
  requester: string;
  requesterName: string;
  channelId: string;
  createdAt: string;
  expiresAt: string;
  status: ApprovalStatus;
  /** Distinct approvals so far; the request is approved when there are `required` of them. */
  approvals: ApprovalVote[];
  required: number;
  /** What the approver is shown besides env and ref (a restore: database, dump time and size). */
  details?: Array<{ label: string; value: string }>;
  decidedBy?: string;
  decidedByName?: string;
  decidedAt?: string;
}

/** Request ids are 8 lowercase hex digits; a button carries one. */
export const APPROVAL_ID = /^[0-9a-f]{8}$/;

/** The `approvals` collection, created on first use. */
export function approvalsOf(state: State): ApprovalRecord[] {
  if (!Array.isArray(state["approvals"])) state["approvals"] = [];
  return state["approvals"] as ApprovalRecord[];
}

/** Read-only lookup that never creates the collection. */
export function findApproval(state: State, id: string): ApprovalRecord | undefined {
  const list = Array.isArray(state["approvals"]) ? (state["approvals"] as ApprovalRecord[]) : [];
  return list.find((a) => a.id === id);
}
