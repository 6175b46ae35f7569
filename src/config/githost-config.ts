import { z } from "zod";
import { envVarName } from "./common-schemas.js";

/** Same rule as `EnvVarName` in schema.ts (not exported there). */
const EnvVarName = envVarName("GITHUB_WEBHOOK_SECRET");

const HookPath = z.string().regex(/^\/[A-Za-z0-9/_-]{1,100}$/, "must be a URL path such as /hooks/github");

/** `owner/name` as GitHub spells it. */
const GitHubRepo = z.string().regex(/^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/, "must be owner/name such as acme/shop");
/** `group/name`, or `group/subgroup/name`, as GitLab shows it under the project's name. */
const GitLabProject = z.string().regex(/^[A-Za-z0-9_.-]{1,100}(\/[A-Za-z0-9_.-]{1,100}){1,5}$/, "must be group/name such as acme/shop");

export const GitHubHooks = z.strictObject({
  /** Path on the bot's HTTP server (`http.host:http.port`) that GitHub's Payload URL points at. */
  path: HookPath.default("/hooks/github"),
  /** Variable holding the webhook secret typed into GitHub's "Secret" field. */
  secret_env: EnvVarName.default("GITHUB_WEBHOOK_SECRET"),
  /** Variable holding a token that may comment on pull requests; without it, no comments. */
  token_env: EnvVarName.default("GITHUB_TOKEN"),
  /** Repositories whose events are acted on; events of any other are answered 202 and ignored. */
  repositories: z.array(GitHubRepo).min(1, "must list at least one repository, e.g. [acme/shop]"),
  /** REST API base URL (GitHub Enterprise: https://github.example.com/api/v3); tests point it at a fake. */
  api_url: z.url().default("https://api.github.com"),
});
export type GitHubHooks = z.infer<typeof GitHubHooks>;

export const GitLabHooks = z.strictObject({
  path: HookPath.default("/hooks/gitlab"),
  /** Variable holding the "Secret token" typed into GitLab's webhook form (sent as X-Gitlab-Token). */
  secret_env: EnvVarName.default("GITLAB_WEBHOOK_SECRET"),
  /** Variable holding a token with the `api` scope, used to comment on merge requests. */
  token_env: EnvVarName.default("GITLAB_TOKEN"),
  projects: z.array(GitLabProject).min(1, "must list at least one project, e.g. [acme/shop]"),
  /** REST API v4 base URL (self-managed: https://gitlab.example.com/api/v4). */
  api_url: z.url().default("https://gitlab.com/api/v4"),
});
export type GitLabHooks = z.infer<typeof GitLabHooks>;

/**
 * `githost:` — Git-host webhooks that tie previews to pull/merge requests: closed, merged or
 * deleted branches destroy their preview, pushes redeploy a running one, and a PR/MR carrying
 * `auto_preview_label` gets a preview on open and on push.
 */
export const GitHostConfig = z
  .strictObject({
    github: GitHubHooks.optional(),
    gitlab: GitLabHooks.optional(),
    auto_preview_label: z.string().min(1).max(100).optional(),
    /** Larger request bodies are refused with 413 before any parsing. */
    max_body_bytes: z.number().int().min(1024).max(25 * 1024 * 1024).default(5 * 1024 * 1024),
  })
  .superRefine((g, ctx) => {
    const taken = new Set(["/healthz", "/metrics"]);
    for (const key of ["github", "gitlab"] as const) {
      const path = g[key]?.path;
      if (!path) continue;
      if (taken.has(path)) ctx.addIssue({ code: "custom", path: [key, "path"], message: `${path} is already served; use another path such as /hooks/${key}` });
      taken.add(path);
    }
  });
export type GitHostConfig = z.infer<typeof GitHostConfig>;
