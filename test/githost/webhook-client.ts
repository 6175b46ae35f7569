// Sends webhook deliveries the way GitHub and GitLab do: JSON body, event and delivery headers,
// and a signature (GitHub: HMAC-SHA256 of the raw body) or token (GitLab). `sign: false` leaves it out.
import { createHmac, randomUUID } from "node:crypto";

export interface Delivery {
  status: number;
  text: string;
}

export async function postGitHub(url: string, o: { event: string; payload: unknown; secret: string; id?: string; sign?: boolean | string }): Promise<Delivery & { id: string }> {
  const body = JSON.stringify(o.payload);
  const id = o.id ?? randomUUID();
  const headers: Record<string, string> = { "content-type": "application/json", "x-github-event": o.event, "x-github-delivery": id, "user-agent": "GitHub-Hookshot/test" };
  if (o.sign !== false) headers["x-hub-signature-256"] = typeof o.sign === "string" ? o.sign : `sha256=${createHmac("sha256", o.secret).update(body).digest("hex")}`;
  const res = await fetch(url, { method: "POST", headers, body });
  return { status: res.status, text: await res.text(), id };
}

export async function postGitLab(url: string, o: { event: string; payload: unknown; token?: string; id?: string }): Promise<Delivery & { id: string }> {
  const id = o.id ?? randomUUID();
  const headers: Record<string, string> = { "content-type": "application/json", "x-gitlab-event": o.event, "x-gitlab-event-uuid": id, "user-agent": "GitLab/17.0.0" };
  if (o.token !== undefined) headers["x-gitlab-token"] = o.token;
  const res = await fetch(url, { method: "POST", headers, body: JSON.stringify(o.payload) });
  return { status: res.status, text: await res.text(), id };
}

const sha = (c: string): string => c.repeat(40).slice(0, 40);
export const SHA_A = sha("a");
export const SHA_B = sha("b");

/** GitHub `pull_request` payload (only the fields GitHub always sends that opsdeck reads, plus some noise). */
export function githubPullRequest(o: { repo: string; action: string; number: number; branch: string; sha: string; labels?: string[]; merged?: boolean; login?: string; fork?: string }) {
  return {
    action: o.action,
    number: o.number,
    pull_request: {
      number: o.number, state: o.action === "closed" ? "closed" : "open", merged: o.merged ?? false, title: "A change",
      labels: (o.labels ?? []).map((name, i) => ({ id: i + 1, name, color: "ededed" })),
      head: { ref: o.branch, sha: o.sha, repo: { full_name: o.fork ?? o.repo } },
      base: { ref: "main", repo: { full_name: o.repo } },
    },
    repository: { id: 1, full_name: o.repo, private: true },
    sender: { login: o.login ?? "octocat", id: 583231, type: "User" },
  };
}

export function githubPush(o: { repo: string; branch: string; after: string; deleted?: boolean; login?: string }) {
  return { ref: `refs/heads/${o.branch}`, before: SHA_A, after: o.after, deleted: o.deleted ?? false, created: false, repository: { id: 1, full_name: o.repo }, sender: { login: o.login ?? "octocat", id: 583231 } };
}

export function gitlabMergeRequest(o: { project: string; action: string; iid: number; branch: string; sha: string; labels?: string[]; username?: string }) {
  return {
    object_kind: "merge_request", event_type: "merge_request",
    user: { id: 1, name: "Jane", username: o.username ?? "jane" },
    project: { id: 15, path_with_namespace: o.project },
    object_attributes: { iid: o.iid, action: o.action, source_branch: o.branch, target_branch: "main", source_project_id: 15, target_project_id: 15, last_commit: { id: o.sha } },
    labels: (o.labels ?? []).map((title, i) => ({ id: i + 1, title })),
  };
}

export function gitlabPush(o: { project: string; branch: string; after: string; username?: string }) {
  return { object_kind: "push", ref: `refs/heads/${o.branch}`, before: SHA_A, after: o.after, checkout_sha: o.after, user_username: o.username ?? "jane", project: { id: 15, path_with_namespace: o.project } };
}
