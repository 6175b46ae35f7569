/** Where a comment goes: one pull request (GitHub) or merge request (GitLab). */
export interface CommentTarget {
  /** `owner/name` or `group/name`. */
  repo: string;
  /** PR number or MR iid. */
  number: number;
}

/**
 * Writes opsdeck's one comment on a PR/MR. `upsert` edits the comment `commentId` when given and it
 * still exists; otherwise (first time, or someone deleted it) it posts a new one. Returns the id
 * of the comment that now holds `body`.
 */
export interface CommentClient {
  readonly platform: "github" | "gitlab";
  upsert(target: CommentTarget, body: string, commentId?: number): Promise<number>;
}
