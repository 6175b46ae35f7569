import type { Actor } from "../../core/command.js";

export type GitHostPlatform = "github" | "gitlab";

interface EventBase {
  platform: GitHostPlatform;
  /** `owner/name` (GitHub) or `group/name` (GitLab), as configured. */
  repo: string;
  branch: string;
  /** Who did it on the Git host: `{ platform: "github", id: "<login>" }`. */
  actor: Actor;
  /** The Git host's delivery id, for the audit trail. */
  deliveryId: string;
}

/** A pull/merge request, with what opsdeck needs to act on it. */
export interface ChangeRequestRef {
  /** PR number (GitHub) or MR iid (GitLab). */
  number: number;
  labels: string[];
}

/**
 * What a webhook delivery means for previews, whatever the platform.
 * - `closed`: a PR/MR was closed or merged → destroy the branch's preview.
 * - `branch-deleted`: the branch is gone → destroy its preview.
 * - `push`: new commits on a branch → redeploy its running preview at `sha`.
 * - `change-request`: a PR/MR was opened, reopened, labelled or pushed to → a preview when it
 *   carries the auto-preview label.
 */
export type GitHostEvent =
  | (EventBase & { kind: "closed"; change: ChangeRequestRef; merged: boolean })
  | (EventBase & { kind: "branch-deleted" })
  | (EventBase & { kind: "push"; sha: string })
  | (EventBase & { kind: "change-request"; change: ChangeRequestRef; sha: string; action: string });
