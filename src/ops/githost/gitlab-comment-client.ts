import { z } from "zod";
import { OpsError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import type { CommentClient, CommentTarget } from "./comment-client.js";

export interface GitLabCommentClientOptions {
  token: Secret;
  /** `https://gitlab.com/api/v4` or a self-managed instance's `/api/v4`. */
  apiUrl: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

const Note = z.object({ id: z.number().int() });

/** MR notes through GitLab's REST API v4 (`PRIVATE-TOKEN` header), with plain fetch. */
export function createGitLabCommentClient(options: GitLabCommentClientOptions): CommentClient {
  const doFetch = options.fetch ?? fetch;
  const base = options.apiUrl.replace(/\/+$/, "");
  const timeoutMs = options.timeoutMs ?? 15_000;

  async function call(method: "POST" | "PUT", path: string, body: string, target: CommentTarget): Promise<{ status: number; id?: number }> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}`, {
        method,
        headers: { "PRIVATE-TOKEN": options.token.reveal(), "content-type": "application/json", "user-agent": "opsdeck" },
        body: JSON.stringify({ body }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new OpsError("external_api", `GitLab: could not reach ${base} to comment on ${target.repo}!${target.number}: ${(err as Error).message}`, "Check githost.gitlab.api_url and the network; the preview itself is not affected.", { cause: err });
    }
    if (!res.ok) return { status: res.status };
    const parsed = Note.safeParse(await res.json().catch(() => undefined));
    if (!parsed.success) throw new OpsError("external_api", `GitLab answered ${method} ${path} without a note id`, "Check that githost.gitlab.api_url points at the API (…/api/v4).");
    return { status: res.status, id: parsed.data.id };
  }

  function refused(action: string, target: CommentTarget, status: number): OpsError {
    const next =
      status === 401 || status === 403
        ? "Check that the token in githost.gitlab.token_env is valid and has the api scope on that project."
        : "Check that the project and merge request exist; the preview itself is not affected.";
    return new OpsError("external_api", `GitLab: could not ${action} the preview comment on ${target.repo}!${target.number} (HTTP ${status})`, next);
  }

  return {
    platform: "gitlab",
    async upsert(target, body, commentId) {
      const notes = `/projects/${encodeURIComponent(target.repo)}/merge_requests/${target.number}/notes`;
      if (commentId !== undefined) {
        const updated = await call("PUT", `${notes}/${commentId}`, body, target);
        if (updated.id !== undefined) return updated.id;
        if (updated.status !== 404) throw refused("update", target, updated.status);
      }
      const created = await call("POST", notes, body, target);
      if (created.id === undefined) throw refused("post", target, created.status);
      return created.id;
    },
  };
}
