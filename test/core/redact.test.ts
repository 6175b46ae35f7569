import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { createRedactor } from "../../src/core/redact.js";
import { Secret } from "../../src/core/secret.js";
import { quoteArgv } from "../../src/core/shell-quote.js";
import { execFileSync } from "node:child_process";

describe("redaction", () => {
  it("hides a Secret in toString, JSON and inspect", () => {
    const s = new Secret("hunter2-very-secret");
    expect(String(s)).toBe("[REDACTED]");
    expect(JSON.stringify({ s })).toBe('{"s":"[REDACTED]"}');
    expect(inspect({ s })).not.toContain("hunter2");
    expect(s.reveal()).toBe("hunter2-very-secret");
  });

  it("removes registered secrets also in base64 and URL-encoded form", () => {
    const r = createRedactor();
    const raw = "p@ss/word+with=odd&chars";
    r.add(new Secret(raw));
    const text = `plain ${raw} b64 ${Buffer.from(raw).toString("base64")} url ${encodeURIComponent(raw)}`;
    const out = r(text);
    expect(out).not.toContain(raw);
    expect(out).not.toContain(Buffer.from(raw).toString("base64"));
    expect(out).not.toContain(encodeURIComponent(raw));
    expect(out.match(/\[REDACTED\]/g)).toHaveLength(3);
  });

  it("removes token-shaped strings it was never told about", () => {
    const r = createRedactor();
    const samples = [
      "xoxb-123456789012-abcdefghijkl",
      "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
      "-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----",
      "123456789:AAE_abcdefghijklmnopqrstuvwxyz012345",
    ];
    for (const s of samples) expect(r(`token is ${s} ok`)).toBe("token is [REDACTED] ok");
    expect(r("postgres://app:s3cret@db:5432/app")).toBe("postgres://app:[REDACTED]@db:5432/app");
    expect(r("DB_PASSWORD=abc123xyz")).toBe("DB_PASSWORD=[REDACTED]");
  });

  it("deep-redacts objects and leaves ordinary text alone", () => {
    const r = createRedactor(["topsecretvalue"]);
    expect(r.value({ a: ["x topsecretvalue"], n: 3 })).toEqual({ a: ["x [REDACTED]"], n: 3 });
    expect(r("deploy sha-abc1234 to preprod")).toBe("deploy sha-abc1234 to preprod");
  });
});

describe("shell quoting", () => {
  it("round-trips hostile arguments through a real sh", () => {
    const hostile = ["$(touch /tmp/opsdeck-canary-q)", "`id`", "a;reboot", "it's", "a\nb", "", "--flag", "*", "~root", "x y"];
    const out = execFileSync("sh", ["-c", `printf '%s\\0' ${quoteArgv(hostile)}`]);
    expect(out.toString().split("\0").slice(0, -1)).toEqual(hostile);
  });
  it("refuses NUL bytes", () => {
    expect(() => quoteArgv(["a\0b"])).toThrow(/NUL/);
  });
});
