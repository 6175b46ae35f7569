import { randomBytes } from "node:crypto";
import type { Access } from "../../config/schema.js";
import type { ApprovalPolicy } from "../../config/environments-config.js";
import { rolesOf } from "../../core/authorize.js";
import { actorKey, type Actor, type MessageRef } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { ApprovalKind, ApprovalRecord } from "../../store/collections/approvals.js";
import type { State } from "../../store/state.js";
import type { Store } from "../../store/store.js";

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

export interface ApprovalRequestInput {
  kind: ApprovalKind;
  env: string;
  ref: string;
  currentTag: string | null;
  migrations: boolean;
  requester: Actor;
  channelId: string;
  policy: ApprovalPolicy;
  details?: Array<{ label: string; value: string }>;
  /** A restore: where its dump comes from (default: local). */
  source?: "local" | "offsite";
}

export type Decision = "approve" | "reject";

/** What one click did. `expired`: the request timed out before this click (now marked so). */
export type DecisionOutcome =
  | { kind: "approved"; record: ApprovalRecord }
  | { kind: "recorded"; record: ApprovalRecord }
  | { kind: "rejected"; record: ApprovalRecord }
  | { kind: "expired"; record: ApprovalRecord };

export interface Approvals {
  request(input: ApprovalRequestInput): Promise<ApprovalRecord>;
  /**
   * Apply one click. The check and the state change happen inside one `store.update`, which is
   * serialised, so of two concurrent approvals exactly one sees `pending` and wins; the other
   * gets a `conflict` error naming the winner. Refusals throw `OpsError("forbidden")`.
   */
  decide(id: string, actor: Actor, decision: Decision, policy: ApprovalPolicy): Promise<DecisionOutcome>;
  /** Mark every pending request past its expiry as expired; returns the ones it changed. */
  expireDue(): Promise<ApprovalRecord[]>;
  get(id: string): ApprovalRecord | undefined;
  pending(): ApprovalRecord[];
  /** Persist where the request message was posted, so it can be edited after a restart. */
  attachMessage(id: string, message: MessageRef): Promise<void>;
}

export interface ApprovalsOptions {
  store: Store;
  access: Access;
  clock?: () => Date;
  /** Decided requests older than this are dropped from state (default 30 days). */
  keepMs?: number;
}

function describe(record: ApprovalRecord): string {
  return `${record.kind} of ${record.ref} to ${record.env}`;
}

/** Who may approve under `policy`: holders of one of its roles, never the requester; an empty list approves nobody. */
export function checkApprover(access: Access, policy: ApprovalPolicy, actor: Actor, record: ApprovalRecord): void {
  if (actorKey(actor) === record.requester) {
    throw new OpsError("forbidden", `you requested the ${describe(record)}, so you cannot approve it`, "Ask another person who holds an approver role for this environment.");
  }
  if (policy.approvers.length === 0) {
    throw new OpsError("forbidden", `nobody can approve changes to ${record.env}: its approval.approvers list is empty`, `Ask an admin to name approver roles under environments.${record.env}.approval.approvers.`);
  }
  const roles = rolesOf(access, actor);
  if (!policy.approvers.some((r) => roles.includes(r))) {
    throw new OpsError(
      "forbidden",
      `approving a ${record.kind} to ${record.env} needs one of the roles: ${policy.approvers.join(", ")}`,
      "Ask someone who holds that role, or an admin to grant it.",
    );
  }
}

export function createApprovals(options: ApprovalsOptions): Approvals {
  const { store, access } = options;
  const clock = options.clock ?? (() => new Date());
  const keepMs = options.keepMs ?? 30 * 86_400_000;

  const notPending = (record: ApprovalRecord): OpsError => {
    const who = record.decidedByName ? ` by ${record.decidedByName}` : "";
    const when = record.decidedAt ? ` at ${record.decidedAt}` : "";
    return new OpsError("conflict", `approval request ${record.id} (${describe(record)}) was already ${record.status}${who}${when}`, "Nothing to do; ask for a new request if one is still needed.");
  };

  return {
    async request(input) {
      const now = clock();
      const record: ApprovalRecord = {
        id: randomBytes(4).toString("hex"),
        kind: input.kind,
        env: input.env,
        ref: input.ref,
        currentTag: input.currentTag,
        migrations: input.migrations,
        requester: actorKey(input.requester),
        requesterName: input.requester.name,
        channelId: input.channelId,
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + input.policy.expiry).toISOString(),
        status: "pending",
        approvals: [],
        required: input.policy.required,
        ...(input.details ? { details: input.details } : {}),
        ...(input.source ? { source: input.source } : {}),
      };
      await store.update((s) => {
        const cutoff = now.getTime() - keepMs;
        s["approvals"] = approvalsOf(s).filter((a) => a.status === "pending" || Date.parse(a.createdAt) > cutoff);
        approvalsOf(s).push(record);
      });
      return record;
    },

    async decide(id, actor, decision, policy) {
      if (!APPROVAL_ID.test(id)) {
        throw new OpsError("bad_input", "that is not an approval request id", "Use the buttons on the request, or /deploy approve <8 hex digits>.");
      }
      return store.update((s): DecisionOutcome => {
        const record = approvalsOf(s).find((a) => a.id === id);
        if (!record) throw new OpsError("not_found", `no approval request ${id}`, "Check the id on the request message; requests are kept for 30 days.");
        if (record.status !== "pending") throw notPending(record);
        const now = clock();
        if (now.getTime() >= Date.parse(record.expiresAt)) {
          record.status = "expired";
          record.decidedAt = now.toISOString();
          return { kind: "expired", record: { ...record } };
        }
        const key = actorKey(actor);
        if (decision === "reject") {
          // The requester may withdraw their own request; otherwise only approvers decide.
          if (key !== record.requester) checkApprover(access, policy, actor, record);
          Object.assign(record, { status: "rejected", decidedBy: key, decidedByName: actor.name, decidedAt: now.toISOString() });
          return { kind: "rejected", record: { ...record } };
        }
        checkApprover(access, policy, actor, record);
        if (record.approvals.some((v) => v.actor === key)) {
          throw new OpsError("conflict", `you already approved request ${id}`, `It needs ${record.required - record.approvals.length} more approval(s) from other approvers.`);
        }
        record.approvals.push({ actor: key, name: actor.name, at: now.toISOString() });
        if (record.approvals.length < record.required) return { kind: "recorded", record: { ...record, approvals: [...record.approvals] } };
        Object.assign(record, { status: "approved", decidedBy: key, decidedByName: actor.name, decidedAt: now.toISOString() });
        return { kind: "approved", record: { ...record, approvals: [...record.approvals] } };
      });
    },

    async expireDue() {
      const now = clock();
      return store.update((s) => {
        const changed: ApprovalRecord[] = [];
        for (const a of approvalsOf(s)) {
          if (a.status === "pending" && now.getTime() >= Date.parse(a.expiresAt)) {
            a.status = "expired";
            a.decidedAt = now.toISOString();
            changed.push({ ...a });
          }
        }
        return changed;
      });
    },

    async attachMessage(id, message) {
      await store.update((s) => {
        const record = approvalsOf(s).find((a) => a.id === id);
        if (record) record.message = { platform: message.platform, channel: message.channel, id: message.id };
      });
    },

    get(id) {
      const list = store.read()["approvals"];
      return Array.isArray(list) ? (list as ApprovalRecord[]).find((a) => a.id === id) : undefined;
    },

    pending() {
      const list = store.read()["approvals"];
      return Array.isArray(list) ? (list as ApprovalRecord[]).filter((a) => a.status === "pending") : [];
    },
  };
}
