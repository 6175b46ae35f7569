/** The persisted state, one lowdb JSON file. Collections are added by later features. */

export type PreviewStatus = "deploying" | "running" | "failed" | "destroying";

export interface PreviewRecord {
  slug: string;
  branch: string;
  ref: string;
  host: string;
  project: string;
  hostname: string;
  url: string;
  requestedBy: string;
  requestedByName: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  status: PreviewStatus;
}

export type OperationStatus = "requested" | "approved" | "running" | "succeeded" | "failed" | "interrupted";

export interface OperationRecord {
  id: string;
  kind: string;
  /** What it acts on: a preview slug, an environment name. */
  target: string;
  actor: string;
  status: OperationStatus;
  startedAt: string;
  endedAt?: string;
  summary?: string;
  /** Set once the `interrupted` state has been reported, so a restart does not repeat it. */
  reportedAt?: string;
}

export interface DeliveryRecord {
  key: string;
  at: string;
}

export interface TelegramHighWaterMark {
  updateId: number;
  /** When it was raised (ISO time). */
  at: string;
}

/** An SSH host key pinned on first use (owned by src/ops/adapters/host-key-pins.ts). */
export interface HostKeyPin {
  /** `SHA256:<base64>`, as OpenSSH prints it. */
  fingerprint: string;
  /** `address:port` it was seen at. */
  address: string;
  firstSeenAt: string;
}

/** The comment opsdeck keeps on a pull/merge request (owned by src/ops/githost/comment-refs.ts). */
export interface GitHostCommentRef {
  platform: "github" | "gitlab";
  repo: string;
  /** PR number or MR iid. */
  number: number;
  branch: string;
  commentId: number;
  updatedAt: string;
}

export interface State {
  version: 1;
  previews: PreviewRecord[];
  operations: OperationRecord[];
  deliveries: DeliveryRecord[];
  /** Host name from the config → its pinned SSH host key. */
  hostKeys?: Record<string, HostKeyPin>;
  /** Highest Telegram `update_id` processed, per bot id; owned by src/bot/telegram/update-high-water.ts. */
  telegramHighWater?: Record<string, TelegramHighWaterMark>;
  /** `<platform>:<repo>#<number>` → the preview comment on that PR/MR; owned by src/ops/githost/comment-refs.ts. */
  gitHostComments?: Record<string, GitHostCommentRef>;
  /** Free-form collections owned by later features (deployments, approvals, alerts, job runs…). */
  [collection: string]: unknown;
}

export function emptyState(): State {
  return { version: 1, previews: [], operations: [], deliveries: [] };
}
