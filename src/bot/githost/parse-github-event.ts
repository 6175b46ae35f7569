import { z } from "zod";
import type { Actor } from "../../core/command.js";
import { LOGIN, SHA, ZERO_SHA, type ParsedDelivery } from "./parsed-delivery.js";

// Only the fields opsdeck uses; anything else in the payload is ignored.
const Repo = z.object({ full_name: z.string() });
const Sender = z.object({ login: z.string() }).optional();
const PullRequest = z.object({
  action: z.string(),
  number: z.number().int().positive(),
  repository: Repo,
  sender: Sender,
  pull_request: z.object({
    merged: z.boolean().nullish(),
    labels: z.array(z.object({ name: z.string() })).default([]),
    head: z.object({ ref: z.string(), sha: z.string().regex(SHA), repo: Repo.nullable() }),
  }),
});
const Push = z.object({ ref: z.string(), after: z.string().regex(SHA), deleted: z.boolean().default(false), repository: Repo, sender: Sender });
const Delete = z.object({ ref: z.string(), ref_type: z.string(), repository: Repo, sender: Sender });
const AnyRepo = z.object({ repository: Repo.optional(), sender: Sender });

const CHANGE_ACTIONS = new Set(["opened", "reopened", "synchronize", "labeled"]);

function actorOf(sender: { login: string } | undefined): Actor {
  const login = sender && LOGIN.test(sender.login) ? sender.login : "unknown";
  return { platform: "github", id: login, name: login };
}

/**
 * A verified GitHub delivery (`X-GitHub-Event` + JSON body) → what it means for previews.
 * Pull requests from forks are ignored: their branch is not this repository's, and an automatic
 * preview would run code from outside the team.
 */
export function parseGitHubEvent(eventName: string, deliveryId: string, payload: unknown): ParsedDelivery {
  const base = AnyRepo.safeParse(payload);
  const repo = base.success ? (base.data.repository?.full_name ?? "") : "";
  const actor = actorOf(base.success ? base.data.sender : undefined);
  const who = `github:${actor.id}`;
  const common = { platform: "github" as const, repo, actor, deliveryId };

  if (eventName === "pull_request") {
    const p = PullRequest.safeParse(payload);
    if (!p.success) return { repo, actor: who, ignored: "pull_request payload without the expected fields" };
    const pr = p.data.pull_request;
    if (pr.head.repo?.full_name !== repo) return { repo, actor: who, ignored: `pull request #${p.data.number} comes from a fork` };
    const change = { number: p.data.number, labels: pr.labels.map((l) => l.name) };
    if (p.data.action === "closed") return { repo, actor: who, event: { ...common, kind: "closed", branch: pr.head.ref, change, merged: pr.merged === true } };
    if (CHANGE_ACTIONS.has(p.data.action)) return { repo, actor: who, event: { ...common, kind: "change-request", branch: pr.head.ref, change, sha: pr.head.sha, action: p.data.action } };
    return { repo, actor: who, ignored: `pull_request action ${p.data.action}` };
  }
  if (eventName === "push") {
    const p = Push.safeParse(payload);
    if (!p.success) return { repo, actor: who, ignored: "push payload without the expected fields" };
    if (!p.data.ref.startsWith("refs/heads/")) return { repo, actor: who, ignored: `push to ${p.data.ref.startsWith("refs/tags/") ? "a tag" : "a ref that is not a branch"}` };
    const branch = p.data.ref.slice("refs/heads/".length);
    if (p.data.deleted || p.data.after === ZERO_SHA) return { repo, actor: who, event: { ...common, kind: "branch-deleted", branch } };
    return { repo, actor: who, event: { ...common, kind: "push", branch, sha: p.data.after } };
  }
  if (eventName === "delete") {
    const p = Delete.safeParse(payload);
    if (!p.success) return { repo, actor: who, ignored: "delete payload without the expected fields" };
    if (p.data.ref_type !== "branch") return { repo, actor: who, ignored: `deleted a ${p.data.ref_type}` };
    return { repo, actor: who, event: { ...common, kind: "branch-deleted", branch: p.data.ref } };
  }
  return { repo, actor: who, ignored: `event ${eventName.slice(0, 40)} is not one opsdeck acts on` };
}
