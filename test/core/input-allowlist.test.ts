import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import { splitCommand } from "../../src/core/validate.js";
import { createAppFromConfig, type AppUnderTest } from "../support/app-from-config.js";

// Commands are built field by field and handed to the app's router with its real handlers: the
// refusal must come from the router, whatever front end (or forged button value) built the command.
describe("input allowlist: printable ASCII only, checked by the router before anything reads it", () => {
  let t: AppUnderTest;
  const audit = (): string => {
    try {
      return readFileSync(join(t.dir, "data", "audit.jsonl"), "utf8");
    } catch {
      return "";
    }
  };
  beforeAll(async () => {
    t = await createAppFromConfig();
  });
  afterAll(async () => {
    await t.close();
  });

  const cases: Array<[string, string[], string]> = [
    ["runbook", ["run", "disk-full\u202E"], "U+202E (right-to-left override) at position 23"],
    ["runbook", ["run", "disk\u200B-full"], "U+200B (zero-width space) at position 18"],
    ["deploy", ["staging", "v1\u2060"], "U+2060 (word joiner) at position 19"],
    ["seed", ["\uFEFFpreprod"], "U+FEFF (zero-width no-break space (byte order mark)) at position 7"],
    ["rollback", ["staging", "--to", "v1\u2066"], "U+2066 (left-to-right isolate) at position 26"],
    ["preview", ["feature\u00ADx"], "U+00AD (soft hyphen) at position 17"],
    ["status", ["\u0009"], "U+0009 (a control character) at position 9"],
    ["audit", ["5", "--env", "st\u00E9"], "U+00E9 at position 18"],
    ["runbook\u200E", ["list"], "U+200E (left-to-right mark) at position 9"],
  ];

  it.each(cases)("/%s %j is refused, names the code point, runs nothing and echoes nothing raw", async (name, args, where) => {
    const before = audit();
    const { final, messages } = await t.dispatch(name, args);
    expect(final.status).toBe("failure");
    expect(final.title).toBe(`the command contains ${where}; commands are printable ASCII only`);
    expect(final.nextStep).toMatch(/Retype the command/);
    // Only the refusal was sent: no progress message, no runbook output.
    expect(messages.map((m) => m.status)).toEqual(["failure"]);
    // The audit line shows the character as <U+XXXX>, never the raw character.
    const added = audit().slice(before.length);
    expect(added).toMatch(/"decision":"invalid"/);
    expect(added).toContain("<U+");
    expect(/[^\x20-\x7e\n]/.test(added)).toBe(false);
    expect(/[^\x20-\x7e]/.test(JSON.stringify(final))).toBe(false);
  });

  it("a clean command still runs (the runbook step runs df on this machine)", async () => {
    const { final } = await t.dispatch("runbook", ["run", "disk-full"]);
    expect(final.status, JSON.stringify(final)).toBe("success");
    expect(final.title).toMatch(/^disk-full step 1\/1 look on local: done/);
  });

  it("typed text: NFKC folds full-width forms to ASCII, then the same allowlist refuses the rest", () => {
    expect(splitCommand("/ｄｅｐｌｏｙ staging v1")).toEqual({ name: "deploy", args: ["staging", "v1"] });
    const refusal = (text: string): string => {
      try {
        splitCommand(text);
      } catch (err) {
        if (err instanceof OpsError) return err.message;
        throw err;
      }
      return "accepted";
    };
    expect(refusal("/seed pre\u202Eprod")).toBe("the command contains U+202E (right-to-left override) at position 10; commands are printable ASCII only");
    expect(refusal("/deploy staging v1\u200D")).toMatch(/U\+200D \(zero-width joiner\) at position 19/);
    expect(refusal("/deploy staging\nv1")).toBe("the command contains a line break (position 16)");
    // NFKC composes a + U+0301 into U+00E1, which is still refused.
    expect(refusal("/preview ma\u0301in")).toMatch(/U\+00E1 at position 11/);
  });
});
