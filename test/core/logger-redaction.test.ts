// Log lines: values are redacted before pino serialises them, so a secret holding `"` or `\`
// (escaped in the JSON line) is still hidden, in messages, fields and errors.
import { describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import { Secret } from "../../src/core/secret.js";
import { captureLog } from "../fakes/capture-log.js";

const SECRET = 'db"pa\\ss-7731-zz';

describe("log redaction", () => {
  it("hides a secret with JSON-special characters in the message, nested fields and errors", () => {
    const cap = captureLog([SECRET]);
    cap.log.info({ env: { url: `postgres://app:${SECRET}@db/app`, note: `typed ${SECRET.slice(0, 14)}` }, secret: new Secret(SECRET) }, `login with ${SECRET}`);
    cap.log.error({ err: new OpsError("remote_failed", `psql: password "${SECRET}" rejected`, "Check the password.") }, "seed failed");
    cap.log.warn(new Error(`boom ${SECRET}`));
    const text = cap.lines.join("");
    expect(cap.lines).toHaveLength(3);
    expect(text).not.toContain(JSON.stringify(SECRET).slice(1, -1));
    expect(text).not.toContain(JSON.stringify(SECRET.slice(0, 12)).slice(1, -1));
    expect(text).not.toContain("pa\\\\ss-7731");
    const [first, second, third] = cap.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first?.["msg"]).toBe("login with [REDACTED]");
    expect(first?.["env"]).toEqual({ url: "postgres://app:[REDACTED]@db/app", note: "typed [REDACTED]" });
    expect(first?.["secret"]).toBe("[REDACTED]");
    const err = second?.["err"] as Record<string, unknown>;
    expect(err["message"]).toBe('psql: password "[REDACTED]" rejected');
    expect(String(err["stack"])).not.toContain("7731");
    expect(err["type"]).toBe("OpsError");
    expect(third?.["msg"]).toBe("boom [REDACTED]");
    expect((third?.["err"] as Record<string, unknown>)["message"]).toBe("boom [REDACTED]");
  });

  it("hides Authorization values and URL credentials it was never told about", () => {
    const cap = captureLog();
    cap.log.info({ headers: { authorization: "Bearer abcdefgh12345678" } }, "GET https://ci:tok3n-x@git.example.test/repo");
    const line = cap.lines[0] ?? "";
    expect(line).not.toContain("abcdefgh12345678");
    expect(line).not.toContain("tok3n-x");
  });
});
