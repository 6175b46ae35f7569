import { actorKey, type Reply } from "../../core/command.js";
import type { AuditLog } from "../../core/audit-log.js";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Notifier } from "../../core/notifier.js";
import type { Redactor } from "../../core/redact.js";
import type { Store } from "../../store/store.js";
import type { PreviewOps } from "../previews/preview-types.js";
import type { CommentClient } from "./comment-client.js";
import { commentRefsForBranch, forgetCommentRef, getCommentRef, saveCommentRef } from "./comment-refs.js";
import type { GitHostEvent, GitHostPlatform } from "./git-host-event.js";
import { previewCommentBody, type PreviewCommentState } from "./preview-comment-body.js";

export interface GitHostActionsOptions {
  previews: PreviewOps;
  store: Store;
  audit: AuditLog;
  notifier: Notifier;
  log: Logger;
  redact: Redactor;
  /** Comment writers per platform; a platform without one gets no comments (no token configured). */
  comments: Partial<Record<GitHostPlatform, CommentClient>>;
  autoPreviewLabel?: string;
  clock?: () => Date;
}

/** An event that was not acted on, for the audit trail (unknown repository, unsupported event). */
export interface IgnoredDelivery {
  platform: GitHostPlatform;
  event: string;
  repo: string;
  actor: string;
  deliveryId: string;
  reason: string;
}

export interface GitHostActions {
  /** Run what the event means for previews; events of one branch run one after another. Never throws. */
  handle(event: GitHostEvent): Promise<void>;
  ignored(delivery: IgnoredDelivery): Promise<void>;
  /** Resolves when every action started so far has finished (tests, shutdown). */
  drain(): Promise<void>;
}

type Outcome = { result: "success" | "failure" | "info"; title: string; lines: string[]; comment?: PreviewCommentState; nextStep?: string } | undefined;

const hostName = (p: GitHostPlatform): string => (p === "github" ? "GitHub" : "GitLab");
const ref = (e: GitHostEvent): string => (e.kind === "closed" || e.kind === "change-request" ? `${e.repo}${e.platform === "github" ? "#" : "!"}${e.change.number}` : `${e.repo}@${e.branch}`);

/**
 * What Git-host events do to previews, through the preview ops (never the chat handlers): closed,
 * merged or deleted → destroy; push → redeploy a running preview at the new commit; a PR/MR with
 * the auto-preview label → deploy. Every action is audited as the Git host's actor, posted to the
 * alert channel and mirrored in one comment on the PR/MR. The preview ops' own locks refuse a
 * clash with a chat command on the same preview; here events of one branch are queued, so a push
 * and its `synchronize` twin never race.
 */
export function createGitHostActions(options: GitHostActionsOptions): GitHostActions {
  const { previews, store, audit, notifier, log, redact } = options;
  const clock = options.clock ?? (() => new Date());
  const queues = new Map<string, Promise<void>>();
  const inFlight = new Set<Promise<void>>();
  const quiet = async (): Promise<void> => {};

  const recordFor = (branch: string) => store.read().previews.find((p) => p.branch === branch);

  async function decide(e: GitHostEvent): Promise<Outcome> {
    const record = recordFor(e.branch);
    if (e.kind === "closed" || e.kind === "branch-deleted") {
      if (!record) return undefined;
      const why = e.kind === "branch-deleted" ? "branch deleted" : e.merged ? "merged" : "closed";
      const stopped = await previews.destroy(e.branch, e.actor, quiet);
      return { result: "success", title: `Preview ${stopped.slug} destroyed: ${ref(e)} ${why} by ${actorKey(e.actor)}`, lines: [`removed ${stopped.removed.join("; ") || "nothing"}`], comment: { kind: "destroyed", branch: e.branch, reason: `${why} by ${e.actor.name}` } };
    }
    let reason: string;
    if (e.kind === "push") {
      if (record?.status !== "running" || record.ref === e.sha) return undefined;
      reason = `push to ${e.branch}`;
    } else {
      const label = options.autoPreviewLabel;
      if (!label || !e.change.labels.includes(label)) return undefined;
      if (record && (record.status === "running" || record.status === "deploying") && record.ref === e.sha) return undefined;
      reason = `${ref(e)} ${e.action} with label ${label}`;
    }
    const started = await previews.deploy({ branch: e.branch, ref: e.sha, actor: e.actor }, quiet);
    return {
      result: "success",
      title: `Preview ${started.slug} ${started.redeployed ? "redeployed" : "deployed"} at ${e.sha.slice(0, 12)}: ${reason} by ${actorKey(e.actor)}`,
      lines: [started.url, ...started.warnings],
      comment: { kind: "up", branch: e.branch, sha: e.sha, url: started.url, expiresAt: started.expiresAt },
    };
  }

  /** Edit the comments of the branch's PRs/MRs (and post one on the PR/MR the event came from). */
  async function comment(e: GitHostEvent, state: PreviewCommentState): Promise<string | undefined> {
    const client = options.comments[e.platform];
    if (!client) return undefined;
    const targets: Array<{ number: number; commentId?: number }> = commentRefsForBranch(store, e.platform, e.repo, e.branch).map((r) => ({ number: r.number, commentId: r.commentId }));
    // The PR/MR the event came from gets a comment when a preview came up (or failed) for it.
    if (e.kind === "change-request" && !targets.some((t) => t.number === e.change.number)) {
      const existing = getCommentRef(store, { platform: e.platform, repo: e.repo, number: e.change.number });
      targets.push({ number: e.change.number, ...(existing ? { commentId: existing.commentId } : {}) });
    }
    const problems: string[] = [];
    for (const t of targets) {
      const target = { platform: e.platform, repo: e.repo, number: t.number };
      try {
        const id = await client.upsert(target, redact(previewCommentBody(state)), t.commentId);
        if (state.kind === "destroyed") await forgetCommentRef(store, target);
        else await saveCommentRef(store, { ...target, branch: e.branch, commentId: id, updatedAt: clock().toISOString() });
      } catch (err) {
        log.warn({ err, repo: e.repo, number: t.number }, "could not write the preview comment");
        problems.push(err instanceof OpsError ? `${err.message}. ${err.nextStep}` : (err as Error).message);
      }
    }
    return problems.length > 0 ? problems.join("; ") : undefined;
  }

  async function run(e: GitHostEvent): Promise<void> {
    const startedAt = clock().getTime();
    let outcome: Outcome;
    try {
      outcome = await decide(e);
    } catch (err) {
      const ops = err instanceof OpsError ? err : undefined;
      outcome = {
        result: "failure",
        title: `Preview of ${e.branch} (${ref(e)}, ${e.kind} by ${actorKey(e.actor)}) failed: ${(err as Error).message}`,
        lines: [],
        nextStep: ops?.nextStep ?? "See the bot's log for the cause, then run the /preview command by hand.",
        ...(e.kind === "push" || e.kind === "change-request" ? { comment: { kind: "failed", branch: e.branch, sha: e.sha } as const } : {}),
      };
      if (!ops) log.error({ err, branch: e.branch }, "git-host action failed");
    }
    if (!outcome) {
      log.debug({ kind: e.kind, repo: e.repo, branch: e.branch }, "git-host event needs no action");
      return;
    }
    const commentProblem = outcome.comment ? await comment(e, outcome.comment) : undefined;
    if (commentProblem) outcome.lines.push(`${hostName(e.platform)} comment not updated: ${commentProblem}`);
    await audit
      .record({
        time: clock().toISOString(), actor: actorKey(e.actor), actorName: e.actor.name, command: "githost",
        args: [e.platform, e.kind, e.repo, e.branch, ...("sha" in e ? [e.sha] : [])],
        decision: "allowed", result: outcome.result, durationMs: clock().getTime() - startedAt,
        detail: `${outcome.title} (delivery ${e.deliveryId})`,
      })
      .catch((err: unknown) => log.error({ err }, "could not write the audit entry"));
    const reply: Reply = { status: outcome.result === "failure" ? "failure" : "success", title: outcome.title, lines: outcome.lines, ...(outcome.nextStep ? { nextStep: outcome.nextStep } : {}) };
    await notifier.notify(reply).catch((err: unknown) => log.error({ err }, "could not post to the alert channel"));
  }

  function track(p: Promise<void>): Promise<void> {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  }

  return {
    handle(e) {
      const key = e.branch;
      const next = (queues.get(key) ?? Promise.resolve()).then(() => run(e)).catch((err: unknown) => log.error({ err }, "git-host action crashed"));
      queues.set(key, next);
      void next.finally(() => {
        if (queues.get(key) === next) queues.delete(key);
      });
      return track(next);
    },
    ignored(d) {
      return track(audit
        .record({
          time: clock().toISOString(), actor: d.actor, actorName: d.actor, command: "githost", args: [d.platform, d.event, d.repo],
          decision: "allowed", result: "info", durationMs: 0, detail: `ignored: ${d.reason} (delivery ${d.deliveryId})`,
        })
        .catch((err: unknown) => log.error({ err }, "could not write the audit entry")));
    },
    async drain() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
  };
}
