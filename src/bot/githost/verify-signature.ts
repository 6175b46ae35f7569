import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Secret } from "../../core/secret.js";

/**
 * GitHub signs the raw body with HMAC-SHA256 of the webhook secret: `X-Hub-Signature-256:
 * sha256=<hex>`. Compared in constant time; a header of the wrong shape is simply false.
 */
export function isValidGitHubSignature(secret: Secret, body: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== "string" || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const expected = createHmac("sha256", secret.reveal()).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(header.slice("sha256=".length), "hex"));
}

/**
 * GitLab sends the secret token itself in `X-Gitlab-Token`. Both sides are hashed first, so the
 * constant-time compare works on equal lengths and the token's length does not leak either.
 */
export function isValidGitLabToken(secret: Secret, header: string | string[] | undefined): boolean {
  if (typeof header !== "string" || header.length === 0 || header.length > 1024) return false;
  const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();
  return timingSafeEqual(digest(secret.reveal()), digest(header));
}
