// End to end on the real sshd/dockerd: signed GitHub and GitLab deliveries reach the bot's HTTP
// server, run the real preview ops in the background, and comment through the real Octokit
// (GitHub) and fetch (GitLab) clients on loopback fakes that check tokens and bodies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createGitHostWiring, type GitHostWiring } from "../../src/bot/githost/create-githost-wiring.js";
import { GitHostConfig } from "../../src/config/githost-config.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import type { Reply } from "../../src/core/command.js";
import { startHttpServer, type StartedHttpServer } from "../../src/core/http-server.js";
import { Secret } from "../../src/core/secret.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { startFakeGitHub, type FakeGitHub } from "../fakes/fake-github-api.js";
import { startFakeGitLab, type FakeGitLab } from "../fakes/fake-gitlab-api.js";
import { forceClean, leftovers, makeDocker, makeRig, makeShell, runningSlugs, type PreviewRig } from "../previews/preview-support.js";
import { uniqueName } from "../support/test-env.js";
import { githubPullRequest, githubPush, gitlabMergeRequest, gitlabPush, postGitHub, postGitLab, SHA_A, SHA_B } from "./webhook-client.js";

const SECRETS: Record<string, string> = { GH_SECRET: "gh-hook-secret-e2e-123456", GH_TOKEN: "ghp_faketoken0123456789abcdef", GL_SECRET: "gl-hook-secret-e2e-123456", GL_TOKEN: "glpat-faketoken0123456789" };

let shell: SshHostShell;
let docker: DockerClient;
let rig: PreviewRig;
let github: FakeGitHub;
let gitlab: FakeGitLab;
let wiring: GitHostWiring;
let http: StartedHttpServer;
const alerts: Reply[] = [];
const ghBranch = uniqueName("gh-feat");
const glBranch = uniqueName("gl-feat");
const slugs: string[] = [];

const auditLines = () => rig.h.auditText().trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e["command"] === "githost");
const record = (branch: string) => rig.h.store.read().previews.find((p) => p.branch === branch);
const envRef = async (branch: string): Promise<string | undefined> => {
  const r = record(branch);
  if (!r) return undefined;
  const text = (await shell.readFile(`${rig.baseDir}/${r.slug}/.env`)) ?? "";
  return /^PREVIEW_REF=(.*)$/m.exec(text)?.[1];
};

beforeAll(async () => {
  shell = makeShell();
  docker = makeDocker(shell);
  rig = await makeRig({ shell, docker });
  github = await startFakeGitHub({ token: SECRETS.GH_TOKEN!, repositories: ["acme/shop"] });
  gitlab = await startFakeGitLab({ token: SECRETS.GL_TOKEN!, projects: ["acme/shop"] });
  const config = GitHostConfig.parse({
    github: { repositories: ["acme/shop"], secret_env: "GH_SECRET", token_env: "GH_TOKEN", api_url: github.url },
    gitlab: { projects: ["acme/shop"], secret_env: "GL_SECRET", token_env: "GL_TOKEN", api_url: gitlab.apiUrl },
    auto_preview_label: "preview",
  });
  wiring = createGitHostWiring({
    config, previews: rig.ops, store: rig.h.store, audit: createAuditLog(rig.h.auditPath, rig.h.redact), log: rig.h.log, redact: rig.h.redact,
    notifier: { notify: async (r) => void alerts.push(r) },
    readSecret: (name) => {
      const v = SECRETS[name];
      if (!v) return undefined;
      rig.h.redact.add(v);
      return new Secret(v);
    },
  });
  http = await startHttpServer({ host: "127.0.0.1", port: 0, metrics: rig.h.metrics, routes: wiring.routes });
}, 60_000);

afterAll(async () => {
  await wiring?.actions.drain();
  await http?.close();
  await forceClean(shell, docker, slugs, rig.baseDir);
  await github?.close();
  await gitlab?.close();
  await shell?.close();
});

describe("GitHub events drive a real preview", () => {
  const gh = () => `http://127.0.0.1:${http.port}/hooks/github`;
  const post = (event: string, payload: unknown) => postGitHub(gh(), { event, payload, secret: SECRETS.GH_SECRET! });

  it("a labelled PR gets a preview and a comment; a push redeploys at the new sha and edits the comment; closing destroys it", async () => {
    // Opened with the label → deployed at SHA_A, comment posted with the URL.
    const opened = await post("pull_request", githubPullRequest({ repo: "acme/shop", action: "opened", number: 12, branch: ghBranch, sha: SHA_A, labels: ["preview"] }));
    expect(opened.status).toBe(202);
    await wiring.actions.drain();
    const up = record(ghBranch);
    expect(up).toMatchObject({ status: "running", ref: SHA_A, requestedBy: "github:octocat" });
    slugs.push(up!.slug);
    expect(await runningSlugs(docker)).toContain(up!.slug);
    let [comment] = github.comments();
    expect(github.comments()).toHaveLength(1);
    expect(comment).toMatchObject({ owner: "acme", repo: "shop", issue: 12, updates: 0 });
    expect(comment!.body).toContain(up!.url);

    // A push → redeployed at SHA_B; the same comment edited in place. Its synchronize twin changes nothing.
    expect((await post("push", githubPush({ repo: "acme/shop", branch: ghBranch, after: SHA_B }))).status).toBe(202);
    expect((await post("pull_request", githubPullRequest({ repo: "acme/shop", action: "synchronize", number: 12, branch: ghBranch, sha: SHA_B, labels: ["preview"] }))).status).toBe(202);
    await wiring.actions.drain();
    expect(record(ghBranch)).toMatchObject({ status: "running", ref: SHA_B });
    expect(await envRef(ghBranch)).toBe(SHA_B);
    [comment] = github.comments();
    expect(github.comments()).toHaveLength(1);
    expect(comment).toMatchObject({ updates: 1 });
    expect(comment!.body).toContain(SHA_B.slice(0, 12));
    expect(auditLines().filter((e) => (e["args"] as string[])[1] === "push" || (e["args"] as string[])[1] === "change-request")).toHaveLength(2);

    // Closed (merged) → containers, network, volumes and directory gone; comment says so.
    expect((await post("pull_request", githubPullRequest({ repo: "acme/shop", action: "closed", number: 12, branch: ghBranch, sha: SHA_B, labels: ["preview"], merged: true }))).status).toBe(202);
    await wiring.actions.drain();
    expect(record(ghBranch)).toBeUndefined();
    expect(await leftovers(shell, docker, up!.slug, `${rig.baseDir}/${up!.slug}`)).toEqual([]);
    [comment] = github.comments();
    expect(comment).toMatchObject({ updates: 2 });
    expect(comment!.body).toContain("was removed (merged by octocat)");
    expect(rig.h.store.read().gitHostComments ?? {}).toEqual({});

    const actions = auditLines().map((e) => `${String(e["actor"])} ${(e["args"] as string[])[1]} ${String(e["result"])}`);
    expect(actions).toEqual(["github:octocat change-request success", "github:octocat push success", "github:octocat closed success"]);
    expect(alerts.map((a) => a.title).join("\n")).toMatch(/deployed at aaaaaaaaaaaa[\s\S]*redeployed at bbbbbbbbbbbb[\s\S]*destroyed: acme\/shop#12 merged by github:octocat/);
    expect(JSON.stringify(alerts) + rig.h.auditText() + JSON.stringify(github.comments())).not.toContain(SECRETS.GH_TOKEN);
    github.assertNoProblems();
  }, 180_000);
});

describe("GitLab events drive a real preview", () => {
  const gl = () => `http://127.0.0.1:${http.port}/hooks/gitlab`;
  const post = (event: string, payload: unknown) => postGitLab(gl(), { event, payload, token: SECRETS.GL_SECRET! });

  it("a labelled MR gets a preview and a note; a push redeploys; deleting the branch (after = zeros) destroys it", async () => {
    expect((await post("Merge Request Hook", gitlabMergeRequest({ project: "acme/shop", action: "open", iid: 3, branch: glBranch, sha: SHA_A, labels: ["preview"] }))).status).toBe(202);
    await wiring.actions.drain();
    const up = record(glBranch);
    expect(up).toMatchObject({ status: "running", ref: SHA_A, requestedBy: "gitlab:jane" });
    slugs.push(up!.slug);
    expect(gitlab.notes()).toEqual([expect.objectContaining({ project: "acme/shop", mr: 3, updates: 0 })]);

    expect((await post("Push Hook", gitlabPush({ project: "acme/shop", branch: glBranch, after: SHA_B }))).status).toBe(202);
    await wiring.actions.drain();
    expect(await envRef(glBranch)).toBe(SHA_B);
    expect(gitlab.notes()[0]).toMatchObject({ updates: 1 });

    expect((await post("Push Hook", gitlabPush({ project: "acme/shop", branch: glBranch, after: "0".repeat(40) }))).status).toBe(202);
    await wiring.actions.drain();
    expect(record(glBranch)).toBeUndefined();
    expect(await leftovers(shell, docker, up!.slug, `${rig.baseDir}/${up!.slug}`)).toEqual([]);
    expect(gitlab.notes()[0]).toMatchObject({ updates: 2 });
    expect(gitlab.notes()[0]!.body).toContain("branch deleted by jane");
    gitlab.assertNoProblems();
  }, 180_000);
});
