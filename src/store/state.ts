import { z } from "zod";
import type { JobRun } from "../core/job-control.js";
import { AlertState } from "./collections/alert-states.js";
import { ApprovalRecord } from "./collections/approvals.js";
import { ButtonRef } from "./collections/button-refs.js";
import { DeliveryRecord, TelegramHighWaterMark } from "./collections/deliveries.js";
import { DeploymentRecord } from "./collections/deployments.js";
import { GitHostCommentRef } from "./collections/githost-comments.js";
import { HostKeyPin } from "./collections/host-keys.js";
import { DailyRunKeys, JobFailureReport, JobRunRecord } from "./collections/jobs.js";
import { OperationRecord } from "./collections/operations.js";
import { PendingDnsDeletion } from "./collections/pending-dns-deletions.js";
import { PreviewRecord } from "./collections/previews.js";

/**
 * The persisted state: one lowdb JSON file, one schema. Each collection's record schema lives in
 * src/store/collections/ and is read and written by one owning module (named there). Older files
 * are brought up to `STATE_VERSION` by src/store/migrations.ts before this schema parses them.
 */
export const STATE_VERSION = 2;

export type { PreviewStatus } from "./collections/previews.js";
export type { OperationStatus } from "./collections/operations.js";
export type { PreviewRecord, OperationRecord, DeliveryRecord, TelegramHighWaterMark, HostKeyPin, GitHostCommentRef };

export const StateSchema = z.object({
  version: z.literal(STATE_VERSION),
  previews: z.array(PreviewRecord).default([]),
  operations: z.array(OperationRecord).default([]),
  deliveries: z.array(DeliveryRecord).default([]),
  deployments: z.array(DeploymentRecord).default([]),
  approvals: z.array(ApprovalRecord).default([]),
  jobRuns: z.array(JobRunRecord).default([]),
  dailyRunKeys: DailyRunKeys.default({}),
  jobFailureReports: z.record(z.string(), JobFailureReport).default({}),
  alertStates: z.record(z.string(), AlertState).default({}),
  buttonRefs: z.record(z.string(), ButtonRef).default({}),
  pendingDnsDeletions: z.array(PendingDnsDeletion).default([]),
  /** Host name from the config → its pinned SSH host key. */
  hostKeys: z.record(z.string(), HostKeyPin).default({}),
  /** Highest Telegram `update_id` processed, per bot id. */
  telegramHighWater: z.record(z.string(), TelegramHighWaterMark).default({}),
  /** `<platform>:<repo>#<number>` → the preview comment on that PR/MR. */
  gitHostComments: z.record(z.string(), GitHostCommentRef).default({}),
});

/** The typed state; records show only their declared fields (unknown ones are kept on disk). */
export interface State {
  version: typeof STATE_VERSION;
  previews: PreviewRecord[];
  operations: OperationRecord[];
  deliveries: DeliveryRecord[];
  deployments: DeploymentRecord[];
  approvals: ApprovalRecord[];
  jobRuns: JobRun[];
  dailyRunKeys: Record<string, string[]>;
  jobFailureReports: Record<string, JobFailureReport>;
  alertStates: Record<string, AlertState>;
  buttonRefs: Record<string, ButtonRef>;
  pendingDnsDeletions: PendingDnsDeletion[];
  hostKeys: Record<string, HostKeyPin>;
  telegramHighWater: Record<string, TelegramHighWaterMark>;
  gitHostComments: Record<string, GitHostCommentRef>;
}

// Compile-time check: what the schema parses is a State.
const _parsedIsState = (s: z.output<typeof StateSchema>): State => s;
void _parsedIsState;

export function emptyState(): State {
  return StateSchema.parse({ version: STATE_VERSION });
}
