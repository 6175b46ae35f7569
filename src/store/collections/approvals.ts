import { z } from "zod";
import { type Known, record } from "./known.js";

/**
 * `state.approvals` (owned by src/ops/approvals/create-approvals.ts): a request for a second
 * person's decision, bound to the exact environment and ref it was asked for. Loose: fields added
 * by the approvals feature are kept even before they are declared here.
 */
export const ApprovalKind = z.enum(["deploy", "rollback", "migration", "infra-down", "restore"]);
export type ApprovalKind = z.infer<typeof ApprovalKind>;
export const ApprovalStatus = z.enum(["pending", "approved", "rejected", "expired"]);
export type ApprovalStatus = z.infer<typeof ApprovalStatus>;

export const ApprovalVote = record({ actor: z.string(), name: z.string(), at: z.string() });
export type ApprovalVote = Known<z.infer<typeof ApprovalVote>>;

export const ApprovalRecord = record({
  id: z.string(),
  kind: ApprovalKind,
  env: z.string(),
  ref: z.string(),
  /** The tag live when the request was made, shown as `current → requested`. */
  currentTag: z.string().nullable(),
  /** Whether the environment's migration command would run. */
  migrations: z.boolean(),
  requester: z.string(),
  requesterName: z.string(),
  channelId: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  status: ApprovalStatus,
  /** Distinct approvals so far; the request is approved when there are `required` of them. */
  approvals: z.array(ApprovalVote),
  required: z.number(),
  /** What the approver is shown besides env and ref (a restore: database, dump time and size). */
  details: z.array(z.object({ label: z.string(), value: z.string() })).optional(),
  /** A restore: where its dump comes from (`offsite`: the restic repository; absent: the local dump_dir). */
  source: z.enum(["local", "offsite"]).optional(),
  decidedBy: z.string().optional(),
  decidedByName: z.string().optional(),
  decidedAt: z.string().optional(),
  /** The request message in chat (platform, channel, message id / Slack ts), edited as it is decided, also after a restart. */
  message: z.object({ platform: z.string(), channel: z.string(), id: z.string() }).optional(),
});
export type ApprovalRecord = Omit<Known<z.infer<typeof ApprovalRecord>>, "approvals"> & { approvals: ApprovalVote[] };
