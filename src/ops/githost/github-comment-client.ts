import type { Octokit } from "@octokit/rest";
import { OpsError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import type { CommentClient, CommentTarget } from "./comment-client.js";

export interface GitHubCommentClientOptions {
  token: Secret;
  /** `https://api.github.com`, a GitHub Enterprise `/api/v3` URL, or a test fake. */
  apiUrl: string;
  timeoutMs?: number;
}

function status(err: unknown): number | undefined {
  const s = (err as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : undefined;
}

function failed(action: string, target: CommentTarget, err: unknown): OpsError {
  const code = status(err);
  const next =
    code === 401 || code === 403
      ? "Check that the token in githost.github.token_env is valid and may write pull requests (fine-grained: Pull requests read and write; classic: repo)."
      : "Check that the repository exists and GitHub is reachable; the preview itself is not affected.";
  return new OpsError("external_api", `GitHub: could not ${action} the preview comment on ${target.repo}#${target.number}${code ? ` (HTTP ${code})` : ""}`, next, { cause: err });
}

/** PR comments through the REST API (`issues/{n}/comments`: a PR is an issue for comments). */
export function createGitHubCommentClient(options: GitHubCommentClientOptions): CommentClient {
  const timeoutMs = options.timeoutMs ?? 15_000;
  // Every call gets a deadline: a hanging API must not hold a webhook's background action forever.
  const timedFetch: typeof fetch = (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  // The SDK (~125 ms of module loading) is imported with the first comment, not at start-up.
  let client: Promise<Octokit> | undefined;
  const octokitFor = (): Promise<Octokit> =>
    (client ??= import("@octokit/rest").then((m) => new m.Octokit({ auth: options.token.reveal(), baseUrl: options.apiUrl.replace(/\/+$/, ""), userAgent: "opsdeck", request: { fetch: timedFetch } })));
  return {
    platform: "github",
    async upsert(target, body, commentId) {
      const [owner = "", repo = ""] = target.repo.split("/");
      const octokit = await octokitFor();
      if (commentId !== undefined) {
        try {
          await octokit.rest.issues.updateComment({ owner, repo, comment_id: commentId, body });
          return commentId;
        } catch (err) {
          // Deleted by someone: post a fresh one below.
          if (status(err) !== 404) throw failed("update", target, err);
        }
      }
      try {
        const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: target.number, body });
        return data.id;
      } catch (err) {
        throw failed("post", target, err);
      }
    },
  };
}
