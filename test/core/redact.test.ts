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

describe("redaction of fragments, encodings and credentials in text", () => {
  const token = "xoxb-5550001-5550002-fragmentTestTokenValue";
  const b64 = Buffer.from(token).toString("base64");

  it("hides a 12+ character fragment of a secret or of its base64 form, but not 11 characters", () => {
    const r = createRedactor([token]);
    expect(r(`ref "${b64.slice(0, 40)}…" is not valid`)).toBe('ref "[REDACTED]…" is not valid');
    expect(r(`cut ${token.slice(5, 17)} here`)).toBe("cut [REDACTED] here");
    expect(r(`tail ${b64.slice(-12)}`)).toBe("tail [REDACTED]");
    expect(r(`short ${token.slice(5, 16)} ok`)).toBe(`short ${token.slice(5, 16)} ok`);
  });

  it("hides a short secret (6 to 11 characters) only whole, and never registers one under 6", () => {
    const r = createRedactor(["k3yV4l", "abcde"]);
    expect(r("a k3yV4l b k3yV4 c")).toBe("a [REDACTED] b k3yV4 c");
    expect(r("abcde")).toBe("abcde");
    expect(r.size).toBe(1);
  });

  it("hides a secret with quotes and backslashes in its JSON-escaped form", () => {
    const raw = 'pa"ss\\word-42';
    const r = createRedactor([raw]);
    const line = JSON.stringify({ msg: `auth failed for ${raw}` });
    expect(r(line)).toBe('{"msg":"auth failed for [REDACTED]"}');
  });

  it("hides Authorization values, Bearer tokens, Basic credentials and user:password@ in any URL", () => {
    const r = createRedactor();
    const basic = Buffer.from("deploy:hunter2hunter2").toString("base64");
    expect(r(`Authorization: Basic ${basic}`)).toBe("Authorization: Basic [REDACTED]");
    expect(r('"authorization":"Bearer abc.def.ghi-123"')).toBe('"authorization":"Bearer [REDACTED]"');
    expect(r("curl -H 'X: y' sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig")).toBe("curl -H 'X: y' sent Bearer [REDACTED]");
    expect(r(`proxy said Basic ${basic} is wrong`)).toBe("proxy said Basic [REDACTED] is wrong");
    expect(r("GET https://ci:s3cr3t@git.example.test/repo.git")).toBe("GET https://ci:[REDACTED]@git.example.test/repo.git");
    expect(r("redis://:pw-123@cache:6379/0")).toBe("redis://:[REDACTED]@cache:6379/0");
    // Ordinary words after the same keywords stay.
    expect(r("Basic authentication failed; Bearer auth is off")).toBe("Basic authentication failed; Bearer auth is off");
    expect(r("see https://example.test/a@b")).toBe("see https://example.test/a@b");
  });

  it("forgets a scope's secrets on unregister, but keeps those still held elsewhere", () => {
    const r = createRedactor();
    const mine = "preview-db-password-0001";
    const shared = "shared-credential-value-77";
    r.add(mine, "preview:feature-x");
    r.add(shared, "preview:feature-x");
    r.add(shared);
    expect(r(`${mine} ${shared}`)).toBe("[REDACTED] [REDACTED]");
    r.unregister("preview:feature-x");
    expect(r(`${mine} ${shared}`)).toBe(`${mine} [REDACTED]`);
    expect(r.size).toBe(1);
  });

  it("finds every one of 5,000 registered secrets, in one text, and nothing else", () => {
    const secrets = Array.from({ length: 5000 }, (_, i) => `${i.toString(36)}-${Buffer.from(String(i * 7919)).toString("base64url")}-credential`);
    const r = createRedactor(secrets);
    const picked = [0, 1, 777, 2500, 4999].map((i) => secrets[i]!);
    const text = `start ${picked.join(" mid ")} end deploy sha-abc1234 to preprod`;
    expect(r(text)).toBe(`start ${picked.map(() => "[REDACTED]").join(" mid ")} end deploy sha-abc1234 to preprod`);
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
