import type { AuditLog } from "../../core/audit-log.js";
import type { GitHostConfig } from "../../config/githost-config.js";
import { OpsError } from "../../core/errors.js";
import type { HttpRoute } from "../../core/http-server.js";
import type { Logger } from "../../core/logger.js";
import type { Notifier } from "../../core/notifier.js";
import type { Redactor } from "../../core/redact.js";
import type { Secret } from "../../core/secret.js";
import type { Store } from "../../store/store.js";
import type { CommentClient } from "../../ops/githost/comment-client.js";
import { createGitHostActions, type GitHostActions } from "../../ops/githost/create-githost-actions.js";
import type { GitHostPlatform } from "../../ops/githost/git-host-event.js";
import { createGitHubCommentClient } from "../../ops/githost/github-comment-client.js";
import { createGitLabCommentClient } from "../../ops/githost/gitlab-comment-client.js";
import type { PreviewOps } from "../../ops/previews/preview-types.js";
import { createDeliveryMemory } from "./delivery-memory.js";
import { createGitHostRoute } from "./create-githost-route.js";

export interface GitHostWiringOptions {
  config: GitHostConfig;
  previews: PreviewOps;
  store: Store;
  audit: AuditLog;
  notifier: Notifier;
  log: Logger;
  redact: Redactor;
  /** Reads a secret by variable name and registers it with the redactor. */
  readSecret: (name: string) => Secret | undefined;
}

export interface GitHostWiring {
  routes: HttpRoute[];
  actions: GitHostActions;
}

/** The `githost:` section → webhook routes for the HTTP server and the actions behind them. */
export function createGitHostWiring(o: GitHostWiringOptions): GitHostWiring {
  const { config, log } = o;
  const requireSecret = (platform: GitHostPlatform, name: string): Secret => {
    const secret = o.readSecret(name);
    if (!secret) {
      throw new OpsError("config", `githost.${platform}.secret_env names ${name}, which is not set`, `Set ${name} to the webhook secret typed into the ${platform === "github" ? "GitHub" : "GitLab"} webhook form (e.g. openssl rand -hex 32).`);
    }
    return secret;
  };
  const comments: Partial<Record<GitHostPlatform, CommentClient>> = {};
  const secrets: Partial<Record<GitHostPlatform, Secret>> = {};
  if (config.github) {
    secrets.github = requireSecret("github", config.github.secret_env);
    const token = o.readSecret(config.github.token_env);
    if (token) comments.github = createGitHubCommentClient({ token, apiUrl: config.github.api_url });
    else log.warn({ variable: config.github.token_env }, "no GitHub token: previews work from webhooks, but no comments are posted on pull requests");
  }
  if (config.gitlab) {
    secrets.gitlab = requireSecret("gitlab", config.gitlab.secret_env);
    const token = o.readSecret(config.gitlab.token_env);
    if (token) comments.gitlab = createGitLabCommentClient({ token, apiUrl: config.gitlab.api_url });
    else log.warn({ variable: config.gitlab.token_env }, "no GitLab token: previews work from webhooks, but no comments are posted on merge requests");
  }
  const actions = createGitHostActions({
    previews: o.previews, store: o.store, audit: o.audit, notifier: o.notifier, log, redact: o.redact, comments,
    ...(config.auto_preview_label ? { autoPreviewLabel: config.auto_preview_label } : {}),
  });
  const deliveries = createDeliveryMemory();
  const routes: HttpRoute[] = [];
  const common = { actions, deliveries, maxBodyBytes: config.max_body_bytes, log };
  if (config.github && secrets.github) routes.push(createGitHostRoute({ ...common, platform: "github", path: config.github.path, secret: secrets.github, repositories: config.github.repositories }));
  if (config.gitlab && secrets.gitlab) routes.push(createGitHostRoute({ ...common, platform: "gitlab", path: config.gitlab.path, secret: secrets.gitlab, repositories: config.gitlab.projects }));
  return { routes, actions };
}
