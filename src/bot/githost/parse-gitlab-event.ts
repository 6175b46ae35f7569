import { z } from "zod";
import type { Actor } from "../../core/command.js";
import { LOGIN, SHA, ZERO_SHA, type ParsedDelivery } from "./parsed-delivery.js";

const Project = z.object({ path_with_namespace: z.string() });
const MergeRequest = z.object({
  user: z.object({ username: z.string() }).optional(),
  project: Project,
  labels: z.array(z.object({ title: z.string() })).default([]),
  object_attributes: z.object({
    iid: z.number().int().positive(),
    action: z.string().optional(),
    source_branch: z.string(),
    source_project_id: z.number(),
    target_project_id: z.number(),
    last_commit: z.object({ id: z.string().regex(SHA) }),
  }),
});
const Push = z.object({ ref: z.string(), after: z.string().regex(SHA), user_username: z.string().optional(), project: Project });
const AnyProject = z.object({ project: Project.optional(), user_username: z.string().optional(), user: z.object({ username: z.string() }).optional() });

const CHANGE_ACTIONS = new Set(["open", "reopen", "update"]);

function actorOf(username: string | undefined): Actor {
  const name = username && LOGIN.test(username) ? username : "unknown";
  return { platform: "gitlab", id: name, name };
}

/**
 * A verified GitLab delivery (`X-Gitlab-Event` + JSON body) → what it means for previews. A push
 * whose `after` is 40 zeros deleted the branch. Merge requests from forks are ignored.
 */
export function parseGitLabEvent(eventName: string, deliveryId: string, payload: unknown): ParsedDelivery {
  const base = AnyProject.safeParse(payload);
  const repo = base.success ? (base.data.project?.path_with_namespace ?? "") : "";
  const actor = actorOf(base.success ? (base.data.user_username ?? base.data.user?.username) : undefined);
  const who = `gitlab:${actor.id}`;
  const common = { platform: "gitlab" as const, repo, actor, deliveryId };

  if (eventName === "Merge Request Hook") {
    const p = MergeRequest.safeParse(payload);
    if (!p.success) return { repo, actor: who, ignored: "merge request payload without the expected fields" };
    const mr = p.data.object_attributes;
    if (mr.source_project_id !== mr.target_project_id) return { repo, actor: who, ignored: `merge request !${mr.iid} comes from a fork` };
    const change = { number: mr.iid, labels: p.data.labels.map((l) => l.title) };
    const action = mr.action ?? "";
    if (action === "close" || action === "merge") return { repo, actor: who, event: { ...common, kind: "closed", branch: mr.source_branch, change, merged: action === "merge" } };
    if (CHANGE_ACTIONS.has(action)) return { repo, actor: who, event: { ...common, kind: "change-request", branch: mr.source_branch, change, sha: mr.last_commit.id, action } };
    return { repo, actor: who, ignored: `merge request action ${action.slice(0, 40) || "(none)"}` };
  }
  if (eventName === "Push Hook") {
    const p = Push.safeParse(payload);
    if (!p.success) return { repo, actor: who, ignored: "push payload without the expected fields" };
    if (!p.data.ref.startsWith("refs/heads/")) return { repo, actor: who, ignored: "push to a ref that is not a branch" };
    const branch = p.data.ref.slice("refs/heads/".length);
    if (p.data.after === ZERO_SHA) return { repo, actor: who, event: { ...common, kind: "branch-deleted", branch } };
    return { repo, actor: who, event: { ...common, kind: "push", branch, sha: p.data.after } };
  }
  return { repo, actor: who, ignored: `event ${eventName.slice(0, 40)} is not one opsdeck acts on` };
}
