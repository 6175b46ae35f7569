import { z } from "zod";
import { type Known, record } from "./known.js";

/** `state.gitHostComments`: the comment opsdeck keeps on a pull/merge request (owned by src/ops/githost/comment-refs.ts). */
export const GitHostCommentRef = record({
  platform: z.enum(["github", "gitlab"]),
  repo: z.string(),
  /** PR number or MR iid. */
  number: z.number(),
  branch: z.string(),
  commentId: z.number(),
  updatedAt: z.string(),
});
export type GitHostCommentRef = Known<z.infer<typeof GitHostCommentRef>>;
