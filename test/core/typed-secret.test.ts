// A secret typed as an argument: handlers echo bad arguments truncated (escapeEcho), escaped or
// masked with `?`, forms the reply's redaction cannot match. The router refuses such a command
// before any handler sees it.
import { describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import { escapeEcho } from "../../src/core/validate.js";
import type { Handler } from "../../src/handlers/handler.js";
import { createHarness } from "../support/router-harness.js";

const BOT_TOKEN = "xoxb-2048-4096-SlackBotTokenForTypedArgs";
const DB_PASSWORD = "Tr0ub4dor&3-correct-horse";

/** Echoes its argument the way the real handlers do when they refuse it. */
function echoingHandler(runs: string[][]): Handler {
  return {
    name: "deploy",
    summary: "deploy",
    usage: ["/deploy <env> <ref>"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: () => ({ key: "deploy", readOnly: false }),
    async run(command) {
      runs.push(command.args);
      const [env = "", ref = ""] = command.args;
      if (!/^[a-z0-9-]+$/.test(env)) throw new OpsError("bad_input", `unknown environment "${env.slice(0, 32).replace(/[^a-z0-9-]/g, "?")}"`, "Use one of: preprod.");
      throw new OpsError("bad_input", `"${escapeEcho(ref, 40)}" is not a valid ref`, "Use sha-<hex>.");
    },
  };
}

describe("secrets typed as arguments", () => {
  it("a base64 token as a ref and a password as an env are refused, not echoed in any form, and nothing runs", async () => {
    const runs: string[][] = [];
    const h = await createHarness({ handlers: [echoingHandler(runs)] });
    h.redact.add(BOT_TOKEN);
    h.redact.add(DB_PASSWORD);
    const b64 = Buffer.from(BOT_TOKEN).toString("base64");

    const asRef = await h.send(`/deploy preprod ${b64}`);
    const asEnv = await h.send(`/deploy ${DB_PASSWORD} sha-abc1234`);
    expect(runs).toEqual([]);
    for (const { final, messages } of [asRef, asEnv]) {
      expect(final.status).toBe("failure");
      expect(final.title).toMatch(/contains a secret or a token, so it was not run/);
      expect(final.nextStep).toMatch(/rotate it/);
      const shown = JSON.stringify(messages);
      expect(shown).not.toContain(b64.slice(0, 12));
      expect(shown).not.toContain(DB_PASSWORD.slice(0, 8));
      expect(shown).not.toContain("Tr0ub4dor?3");
    }
    expect(h.auditText()).not.toContain(b64.slice(0, 12));
    expect(h.auditText()).not.toContain(DB_PASSWORD.slice(0, 12));
    expect(h.logText()).not.toContain(b64.slice(0, 12));
  });

  it("ordinary arguments still reach the handler", async () => {
    const runs: string[][] = [];
    const h = await createHarness({ handlers: [echoingHandler(runs)] });
    h.redact.add(DB_PASSWORD);
    const { final } = await h.send("/deploy preprod not-a-ref");
    expect(runs).toEqual([["preprod", "not-a-ref"]]);
    expect(final.title).toBe('"not-a-ref" is not a valid ref');
  });
});
