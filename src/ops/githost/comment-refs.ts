import type { Store } from "../../store/store.js";
import type { GitHostCommentRef } from "../../store/state.js";

/**
 * The one module that reads and writes `state.gitHostComments`: which comment on which PR/MR
 * carries a branch's preview, so redeploys and destroys edit it in place instead of posting again.
 */
export function commentKey(ref: Pick<GitHostCommentRef, "platform" | "repo" | "number">): string {
  return `${ref.platform}:${ref.repo}#${ref.number}`;
}

export function getCommentRef(store: Store, ref: Pick<GitHostCommentRef, "platform" | "repo" | "number">): GitHostCommentRef | undefined {
  const all = store.read().gitHostComments ?? {};
  const key = commentKey(ref);
  return Object.hasOwn(all, key) ? all[key] : undefined;
}

/** Every PR/MR comment of one branch in one repository (a branch can have more than one open PR). */
export function commentRefsForBranch(store: Store, platform: GitHostCommentRef["platform"], repo: string, branch: string): GitHostCommentRef[] {
  return Object.values(store.read().gitHostComments ?? {}).filter((r) => r.platform === platform && r.repo === repo && r.branch === branch);
}

export async function saveCommentRef(store: Store, ref: GitHostCommentRef): Promise<void> {
  await store.update((s) => {
    s.gitHostComments = { ...(s.gitHostComments ?? {}), [commentKey(ref)]: ref };
  });
}

/** The preview is gone and its comment says so: nothing more to edit. */
export async function forgetCommentRef(store: Store, ref: Pick<GitHostCommentRef, "platform" | "repo" | "number">): Promise<void> {
  await store.update((s) => {
    if (!s.gitHostComments) return;
    const { [commentKey(ref)]: _gone, ...rest } = s.gitHostComments;
    s.gitHostComments = rest;
  });
}
