import type { Reply } from "../core/command.js";
import type { ApprovalReplies } from "../ops/approvals/create-approval-desk.js";
import type { ApprovalRecord } from "../ops/approvals/create-approvals.js";
import type { InfraDownRequestContext } from "../ops/infra/create-infra-down-approval.js";

/**
 * The approval messages: the request with Approve / Reject buttons and the message once decided.
 * Shaped here, not in ops: a button carries the command a click runs (`/deploy approve <id>`),
 * and the desk and `/infra down` are given these by injection (src/wiring).
 */

function what(record: ApprovalRecord): string {
  if (record.kind === "restore") return `restore ${record.ref} into ${record.env}`;
  return record.kind === "rollback" ? `roll back ${record.env} to ${record.ref}` : `${record.kind} ${record.ref} to ${record.env}`;
}

/** The request as posted to the channel and the alert channel, with Approve / Reject buttons. */
export function approvalRequestReply(record: ApprovalRecord): Reply {
  return {
    status: "warning",
    title: `approval needed: ${what(record)}`,
    lines: [
      `${record.requesterName} (${record.requester}) asks to ${what(record)}.`,
      `Needs ${record.required} approval(s) from an approver other than the requester; expires ${record.expiresAt}.`,
    ],
    fields: [
      { label: "environment", value: record.env },
      ...(record.kind === "restore"
        ? (record.details ?? [])
        : [
            { label: "tag", value: `${record.currentTag ?? "(none)"} → ${record.ref}` },
            { label: "migrations", value: record.migrations ? "will run" : "none" },
            // Node groups: the one request covers every group and host listed here.
            ...(record.details ?? []),
          ]),
      { label: "requester", value: record.requesterName },
      { label: "request", value: record.id },
    ],
    buttons: [
      { command: `/deploy approve ${record.id}`, label: "Approve", style: "primary", confirm: `Approve: ${what(record)}?` },
      { command: `/deploy reject ${record.id}`, label: "Reject", style: "danger" },
    ],
    visibility: "channel",
  };
}

/** The request message after it was decided: no buttons any more. */
export function approvalClosedReply(record: ApprovalRecord, note: string): Reply {
  const status = record.status === "approved" ? "info" : "warning";
  return {
    status,
    title: `${what(record)}: ${record.status}${record.decidedByName ? ` by ${record.decidedByName}` : ""}`,
    lines: [note],
    fields: [
      { label: "tag", value: `${record.currentTag ?? "(none)"} → ${record.ref}` },
      { label: "requester", value: record.requesterName },
      { label: "request", value: record.id },
    ],
    visibility: "channel",
  };
}

/** What the desk posts and edits (`ApprovalDeskOptions.replies`). */
export const approvalReplies: ApprovalReplies = { request: approvalRequestReply, closed: approvalClosedReply };

/** The `/infra down <env>` request (or the open one, shown again), with its own Approve / Reject buttons. */
export function infraDownRequestReply(record: ApprovalRecord, { lines, approvers, reused }: InfraDownRequestContext): Reply {
  return {
    status: "warning",
    title: `approval needed: /infra down ${record.env} (snapshot, then delete ${record.ref})`,
    lines: [
      ...(reused ? [`A request for this is already open (asked by ${record.requesterName}); approving it runs it.`] : []),
      ...lines,
      `Needs ${record.required} approval(s) from ${approvers}; expires ${record.expiresAt}.`,
    ],
    fields: [
      { label: "environment", value: record.env },
      { label: "server", value: record.ref },
      { label: "requester", value: record.requesterName },
      { label: "request", value: record.id },
    ],
    // The same commands as every approval: a click is parsed and authorised like typed text.
    buttons: [
      { command: `/deploy approve ${record.id}`, label: "Approve: snapshot and delete", style: "danger", confirm: `Snapshot and delete ${record.ref}?` },
      { command: `/deploy reject ${record.id}`, label: "Reject", style: "default" },
    ],
    visibility: "channel",
  };
}
