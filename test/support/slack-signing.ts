// Slack's request signing (https://api.slack.com/authentication/verifying-requests-from-slack), for
// tests that post to the real Bolt HTTP receiver: `v0=` + HMAC-SHA256 of `v0:<timestamp>:<body>`.
import { createHmac } from "node:crypto";

/** The `x-slack-signature` value for `body` sent at `timestamp` (seconds), signed with `secret`. */
export function slackSignature(secret: string, timestamp: string | number, body: string): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex")}`;
}

/** The headers of a signed Slack request (form-encoded unless `contentType` says otherwise). */
export function slackSignedHeaders(secret: string, timestamp: string | number, body: string, contentType = "application/x-www-form-urlencoded"): Record<string, string> {
  return { "content-type": contentType, "x-slack-request-timestamp": String(timestamp), "x-slack-signature": slackSignature(secret, timestamp, body) };
}
