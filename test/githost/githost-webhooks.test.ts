// The Git-host endpoints on the real app's HTTP server: signatures and tokens (missing, wrong,
// replayed → 401, nothing recorded), unknown repositories (202, audited as ignored), body limit,
// and the config rules. No preview is deployed here (see githost-preview-e2e.test.ts).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import { parseConfig } from "../../src/config/load-config.js";
import { startHttpServer, type StartedHttpServer } from "../../src/core/http-server.js";
import { githubPullRequest, githubPush, gitlabPush, postGitHub, postGitLab, SHA_B } from "./webhook-client.js";

const GH_SECRET = "gh-webhook-secret-0123456789";
const GL_SECRET = "gl-webhook-token-0123456789";

function yaml(dir: string, extra = ""): string {
  return `data_dir: ${dir}/data
http: { enabled: false }
hosts:
  local: { type: local }
previews:
  host: local
  base_dir: ${dir}/previews
  domain: localhost
  image: "nginx:{ref}"
environments: {}
githost:
  github: { repositories: [acme/shop], secret_env: GH_HOOK_SECRET }
  gitlab: { projects: [acme/shop], secret_env: GL_HOOK_SECRET }
${extra}`;
}

let dir: string;
let app: App;
let http: StartedHttpServer;
let gh: string;
let gl: string;

const audit = (): Array<Record<string, unknown>> => {
  try {
    return readFileSync(join(app.dataDir, "audit.jsonl"), "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "opsdeck-gh-"));
  app = await createApp({ loaded: { config: parseConfig(yaml(dir)), path: join(dir, "opsdeck.yaml"), baseDir: dir }, env: { GH_HOOK_SECRET: GH_SECRET, GL_HOOK_SECRET: GL_SECRET } });
  http = await startHttpServer({ host: "127.0.0.1", port: 0, metrics: app.metrics, routes: app.httpRoutes });
  gh = `http://127.0.0.1:${http.port}/hooks/github`;
  gl = `http://127.0.0.1:${http.port}/hooks/gitlab`;
});

afterAll(async () => {
  await http?.close();
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

const stranger = githubPullRequest({ repo: "evil/other", action: "closed", number: 7, branch: "feature-x", sha: SHA_B });

describe("GitHub webhook", () => {
  it("refuses a missing or wrong signature with 401 and records nothing; the same body signed is 202 and audited", async () => {
    expect((await postGitHub(gh, { event: "pull_request", payload: stranger, secret: GH_SECRET, sign: false })).status).toBe(401);
    expect((await postGitHub(gh, { event: "pull_request", payload: stranger, secret: "not-the-secret-at-all" })).status).toBe(401);
    expect((await postGitHub(gh, { event: "pull_request", payload: stranger, secret: GH_SECRET, sign: "sha256=zz" })).status).toBe(401);
    expect(audit().filter((e) => e["command"] === "githost")).toHaveLength(0);

    const ok = await postGitHub(gh, { event: "pull_request", payload: stranger, secret: GH_SECRET });
    expect(ok.status).toBe(202);
    await app.githost?.drain();
    const entries = audit().filter((e) => e["command"] === "githost");
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: "github:octocat", result: "info", args: ["github", "pull_request", "evil/other"] });
    expect(String(entries[0]?.["detail"])).toContain("repository evil/other is not configured");
  });

  it("treats a replayed delivery id as stale: 401, nothing recorded", async () => {
    const first = await postGitHub(gh, { event: "pull_request", payload: stranger, secret: GH_SECRET });
    expect(first.status).toBe(202);
    await app.githost?.drain();
    const before = audit().length;
    const replay = await postGitHub(gh, { event: "pull_request", payload: stranger, secret: GH_SECRET, id: first.id });
    expect(replay.status).toBe(401);
    expect(replay.text).toContain("stale");
    await app.githost?.drain();
    expect(audit()).toHaveLength(before);
  });

  it("a push to a branch with no preview does nothing; a body over the limit is 413", async () => {
    const before = audit().length;
    expect((await postGitHub(gh, { event: "push", payload: githubPush({ repo: "acme/shop", branch: "nobody", after: SHA_B }), secret: GH_SECRET })).status).toBe(202);
    await app.githost?.drain();
    expect(audit()).toHaveLength(before);
    expect(app.store.read().previews).toEqual([]);
    const huge = { ...stranger, padding: "x".repeat(6 * 1024 * 1024) };
    expect((await postGitHub(gh, { event: "pull_request", payload: huge, secret: GH_SECRET })).status).toBe(413);
  });

  it("other paths and methods are not served by the hook", async () => {
    expect((await fetch(gh)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${http.port}/healthz`)).status).toBe(200);
  });
});

describe("GitLab webhook", () => {
  const payload = gitlabPush({ project: "other/project", branch: "feature-x", after: SHA_B });

  it("refuses a missing or wrong token and a replayed event UUID with 401; an unknown project is 202 and audited", async () => {
    const before = audit().length;
    expect((await postGitLab(gl, { event: "Push Hook", payload })).status).toBe(401);
    expect((await postGitLab(gl, { event: "Push Hook", payload, token: `${GL_SECRET}x` })).status).toBe(401);
    expect((await postGitLab(gl, { event: "Push Hook", payload, token: GH_SECRET })).status).toBe(401);
    expect(audit()).toHaveLength(before);
    const ok = await postGitLab(gl, { event: "Push Hook", payload, token: GL_SECRET });
    expect(ok.status).toBe(202);
    expect((await postGitLab(gl, { event: "Push Hook", payload, token: GL_SECRET, id: ok.id })).status).toBe(401);
    await app.githost?.drain();
    const entries = audit().slice(before);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor: "gitlab:jane", command: "githost", result: "info", args: ["gitlab", "Push Hook", "other/project"] });
  });
});

describe("githost config", () => {
  it("needs previews, and a webhook secret in the named variable", async () => {
    const d = mkdtempSync(join(tmpdir(), "opsdeck-gh-"));
    try {
      expect(() => parseConfig(yaml(d).replace(/previews:\n(  .*\n)+/, ""))).toThrow(/githost.*previews/s);
      expect(() => parseConfig(yaml(d).replace("secret_env: GH_HOOK_SECRET", "secret_env: GH_HOOK_SECRET, path: /metrics"))).toThrow(/already served/);
      const loaded = { config: parseConfig(yaml(d)), path: join(d, "opsdeck.yaml"), baseDir: d };
      await expect(createApp({ loaded, env: { GL_HOOK_SECRET: GL_SECRET } })).rejects.toThrow(/GH_HOOK_SECRET, which is not set/);
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it("registers the webhook secrets with the redactor", () => {
    expect(app.redact(`leak ${GH_SECRET} and ${GL_SECRET}`)).toBe("leak [REDACTED] and [REDACTED]");
  });
});
