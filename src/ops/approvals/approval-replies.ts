import type { Reply } from "../../core/command.js";
import type { ApprovalRecord } from "./create-approvals.js";

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
