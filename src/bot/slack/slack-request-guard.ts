import type { IncomingMessage, ServerResponse } from "node:http";
import { verifySlackRequest } from "./bolt-modules.js";
import type { Logger } from "../../core/logger.js";
import type { Secret } from "../../core/secret.js";

/** Slack's own rule: a request more than 5 minutes away from our clock, either way, is refused. */
export const SLACK_SKEW_SECONDS = 300;
/**
 * How long a seen signature is remembered. A timestamp is accepted from `ts − skew` to `ts + skew`,
 * so one signed request can be presented during 2 × skew; the minute on top covers clock steps.
 */
export const SLACK_SIGNATURE_MEMORY_MS = 2 * SLACK_SKEW_SECONDS * 1000 + 60_000;
/** Bolt's default body limit. */
const BODY_LIMIT = 4 * 1024 * 1024;

export interface SlackRequestGuardOptions {
  signingSecret: Secret;
  log: Logger;
  clock?: () => Date;
  /** Signatures remembered at most; past this (after pruning) requests get 503 rather than risking a replay. */
  maxRemembered?: number;
}

/** `next` gets the request with its body read into `rawBody`, which Bolt's HTTPReceiver reuses. */
export type SlackRequestGuard = (req: IncomingMessage, res: ServerResponse, next: (req: IncomingMessage) => void) => void;

function refuse(res: ServerResponse, status: number): void {
  res.writeHead(status, status === 413 ? { connection: "close" } : {});
  res.end();
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) resolve(undefined);
      else chunks.push(chunk);
    });
    req.on("end", () => resolve(size > BODY_LIMIT ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Parses the form only when `ssl_check` occurs in it at all (every command would pay for the parse). */
const isSslCheck = (req: IncomingMessage, body: Buffer): boolean =>
  req.headers["content-type"] === "application/x-www-form-urlencoded" && body.includes("ssl_check") && new URLSearchParams(body.toString()).get("ssl_check") === "1";

/**
 * Checks every POST before Bolt sees it. Bolt refuses only timestamps older than 5 minutes, so a
 * signed request dated in the future (or in 2030) would run; here `|now − ts| > 300 s`, a missing or
 * non-numeric timestamp and a bad signature all get 401 and reach nothing. A request whose signature
 * was already seen is acknowledged with an empty 200 and not passed on: the signature is an HMAC over
 * timestamp and body, so it names one request — slash commands and clicks carry no delivery id of
 * their own. Slack's `ssl_check` probe is passed on unsigned; Bolt strips it to `ssl_check=1`.
 */
export function createSlackRequestGuard(options: SlackRequestGuardOptions): SlackRequestGuard {
  const { signingSecret, log } = options;
  const clock = options.clock ?? (() => new Date());
  const maxRemembered = options.maxRemembered ?? 10_000;
  /** signature → forget after (ms); insertion order is arrival order, so expired ones sit in front. */
  const seen = new Map<string, number>();

  function prune(now: number): void {
    for (const [signature, until] of seen) {
      if (until > now) break;
      seen.delete(signature);
    }
  }

  async function check(req: IncomingMessage, res: ServerResponse, next: (req: IncomingMessage) => void): Promise<void> {
    const body = await readBody(req);
    if (!body) return refuse(res, 413);
    if (isSslCheck(req, body)) return next(Object.assign(req, { rawBody: body }));

    const now = clock().getTime();
    const tsHeader = req.headers["x-slack-request-timestamp"];
    const signature = req.headers["x-slack-signature"];
    if (typeof tsHeader !== "string" || !/^\d{1,12}$/.test(tsHeader) || typeof signature !== "string") {
      log.warn({ timestamp: typeof tsHeader === "string" ? tsHeader.slice(0, 20) : typeof tsHeader }, "slack request refused: missing or malformed timestamp or signature");
      return refuse(res, 401);
    }
    const ts = Number(tsHeader);
    const skew = Math.floor(now / 1000) - ts;
    if (Math.abs(skew) > SLACK_SKEW_SECONDS) {
      log.warn({ skewSeconds: skew }, "slack request refused: timestamp more than 5 minutes from our clock");
      return refuse(res, 401);
    }
    try {
      verifySlackRequest({
        signingSecret: signingSecret.reveal(),
        body: body.toString(),
        headers: { "x-slack-signature": signature, "x-slack-request-timestamp": ts },
        nowMilliseconds: now,
      });
    } catch {
      log.warn("slack request refused: signature mismatch");
      return refuse(res, 401);
    }

    prune(now);
    if (seen.has(signature)) {
      log.info({ delivery: "signature" }, "duplicate delivery ignored");
      return refuse(res, 200);
    }
    if (seen.size >= maxRemembered) {
      log.error({ remembered: seen.size }, "slack request refused: too many requests in the replay window");
      return refuse(res, 503);
    }
    seen.set(signature, now + SLACK_SIGNATURE_MEMORY_MS);
    next(Object.assign(req, { rawBody: body }));
  }

  return (req, res, next) => {
    check(req, res, next).catch((err: unknown) => {
      log.warn({ err: { message: (err as Error).message } }, "slack request could not be read");
      if (!res.headersSent) refuse(res, 400);
    });
  };
}
