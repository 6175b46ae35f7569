import { describe, expect, it } from "vitest";
import { createRedactor, MAY_HOLD_TOKEN, REDACTED, TOKEN_PATTERNS } from "../../src/core/redact.js";

// Matches of every token pattern, at their shortest and in other letter cases where the pattern
// ignores case. The pre-check runs before the patterns: text it refuses is not looked at again.
const SAMPLES = [
  "-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----",
  "-----BEGIN OPENSSH PRIVATE KEY-----x-----END OPENSSH PRIVATE KEY-----",
  "xoxb-1234567890", "xoxp-abcdefghij-kl", "xoxa-0000000000", "xoxo-0000000000", "xoxs-0000000000", "xoxr-0000000000",
  "xapp-1-A0000000000",
  "ghp_abcdefghijklmnopqrst", "gho_abcdefghijklmnopqrst", "ghu_abcdefghijklmnopqrst", "ghs_abcdefghijklmnopqrst", "ghr_abcdefghijklmnopqrst",
  "glpat-abcdefghijklmnopqrst", "glpat-abc_def-ghijklmnopqrst",
  "123456:abcdefghijklmnopqrstuvwxyz0123", "123456789012:ABCDEFGHIJKLMNOPQRSTUVWXYZ_-0123",
  "MTAwMDAwMDAwMDAwMDAwMDAw.GAbcde.abcdefghijklmnopqrstuvwxyz0", "Nabcdefghijklmnopqrstuvw.abcdef.abcdefghijklmnopqrstuvwxyz0123",
  "Authorization: Token abc", "authorization=abc", "AUTHORIZATION: 'x'", "authorization\":\"Bearer abc\"",
  "Bearer abcdefgh", "Bearer a.b-c_d~e+f/g==",
  "Basic dXNlcjpwYXNz", "Basic YWI6Y2Rl",
  "https://user:pw@example.test", "REDIS://:pw@h", "postgres://u:p@db/x",
  "password=x", "PASSWORD: y", "db_passwd='z'", "client_secret=abc", "Secret: q", "TOKEN=1", "access_token: \"t\"",
  "api_key=k", "API-KEY: k", "apikey=k", "x_ApiKey=k",
];

describe("the redactor's pre-check for token shapes", () => {
  it("lets through every text any token pattern matches", () => {
    for (const sample of SAMPLES) {
      const matched = TOKEN_PATTERNS.filter(([re]) => new RegExp(re.source, re.flags.replace("g", "")).test(sample));
      expect(matched.length, `no pattern matches sample ${JSON.stringify(sample)}`).toBeGreaterThan(0);
      expect(MAY_HOLD_TOKEN.test(sample), `the pre-check refuses ${JSON.stringify(sample)}`).toBe(true);
      // The whole redactor still hides it, inside other text too.
      expect(createRedactor()(`before ${sample} after`)).toContain(REDACTED);
    }
  });

  it("has a sample for every token pattern", () => {
    for (const [re] of TOKEN_PATTERNS) {
      const probe = new RegExp(re.source, re.flags.replace("g", ""));
      expect(SAMPLES.some((s) => probe.test(s)), `no sample for ${re.source}`).toBe(true);
    }
  });

  it("refuses ordinary text, which is then returned as it was", () => {
    const plain = ["section", "mrkdwn", "*staging* is healthy: 3/3 containers up, last deploy sha-1a2b3c by @anna 2 h ago", "preview feature-x: https-less host preview-feature-x.example.test"];
    const redact = createRedactor();
    for (const text of plain) {
      expect(MAY_HOLD_TOKEN.test(text)).toBe(false);
      expect(redact(text)).toBe(text);
    }
  });
});
