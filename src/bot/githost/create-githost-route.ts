import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpRoute } from "../../core/http-server.js";
import type { Logger } from "../../core/logger.js";
import type { Secret } from "../../core/secret.js";
import type { GitHostActions } from "../../ops/githost/create-githost-actions.js";
import type { GitHostPlatform } from "../../ops/githost/git-host-event.js";
import type { DeliveryMemory } from "./delivery-memory.js";
import type { ParsedDelivery } from "./parsed-delivery.js";
import { parseGitHubEvent } from "./parse-github-event.js";
import { parseGitLabEvent } from "./parse-gitlab-event.js";
import { isValidGitHubSignature, isValidGitLabToken } from "./verify-signature.js";

export interface GitHostRouteOptions {
  platform: GitHostPlatform;
  path: string;
  secret: Secret;
  /** Repositories (GitHub) or projects (GitLab) that are acted on; compared case-insensitively. */
  repositories: string[];
  actions: GitHostActions;
  deliveries: DeliveryMemory;
  maxBodyBytes: number;
  log: Logger;
}

const HEADERS = {
  github: { event: "x-github-event", delivery: "x-github-delivery" },
  gitlab: { event: "x-gitlab-event", delivery: "x-gitlab-event-uuid" },
} as const;

function answer(res: ServerResponse, status: number, text: string, close = false): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", ...(close ? { connection: "close" } : {}) });
  res.end(`${text}\n`);
}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    req.on("end", () => resolve(size > limit ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return typeof v === "string" ? v : undefined;
};

/**
 * One webhook endpoint. Order: body (bounded, 413 past the limit) → signature or token (401,
 * nothing else looked at) → delivery id (missing or already seen: 401, a replay is stale) →
 * parse → 202 at once; the action runs in the background. A delivery for a repository that is
 * not configured is answered 202 and audited as ignored.
 */
export function createGitHostRoute(options: GitHostRouteOptions): HttpRoute {
  const { platform, secret, actions, deliveries, log } = options;
  const allowed = new Set(options.repositories.map((r) => r.toLowerCase()));
  const names = HEADERS[platform];

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > options.maxBodyBytes) return answer(res, 413, "payload too large", true);
    const body = await readBody(req, options.maxBodyBytes);
    if (!body) return answer(res, 413, "payload too large", true);
    const verified = platform === "github" ? isValidGitHubSignature(secret, body, req.headers["x-hub-signature-256"]) : isValidGitLabToken(secret, req.headers["x-gitlab-token"]);
    if (!verified) {
      log.warn({ platform, path: options.path }, "git-host webhook refused: missing or wrong signature");
      return answer(res, 401, "signature missing or wrong");
    }
    const deliveryId = header(req, names.delivery);
    if (!deliveryId || !/^[A-Za-z0-9-]{1,100}$/.test(deliveryId)) return answer(res, 401, "delivery id missing");
    const memory = deliveries.remember(deliveryId);
    if (memory === "seen") {
      log.warn({ platform, deliveryId }, "git-host webhook refused: delivery id already seen (replayed)");
      return answer(res, 401, "stale delivery (already seen)");
    }
    if (memory === "full") return answer(res, 503, "too many deliveries; try again later");
    let payload: unknown;
    try {
      payload = JSON.parse(body.toString("utf8"));
    } catch {
      return answer(res, 400, "body is not JSON; set the webhook's content type to application/json");
    }
    const eventName = (header(req, names.event) ?? "").slice(0, 100);
    const parsed: ParsedDelivery = platform === "github" ? parseGitHubEvent(eventName, deliveryId, payload) : parseGitLabEvent(eventName, deliveryId, payload);
    answer(res, 202, "accepted");
    if (!allowed.has(parsed.repo.toLowerCase())) {
      await actions.ignored({ platform, event: eventName, repo: parsed.repo, actor: parsed.actor, deliveryId, reason: `repository ${parsed.repo || "(none)"} is not configured under githost.${platform}` });
      return;
    }
    if (!parsed.event) {
      log.debug({ platform, deliveryId, reason: parsed.ignored }, "git-host delivery ignored");
      return;
    }
    await actions.handle(parsed.event);
  }

  return {
    path: options.path,
    handle(req, res) {
      handle(req, res).catch((err: unknown) => {
        log.error({ err, platform }, "git-host webhook failed");
        if (!res.headersSent) answer(res, 500, "internal error");
      });
    },
  };
}
