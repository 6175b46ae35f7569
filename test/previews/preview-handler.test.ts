import { describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import { Previews } from "../../src/config/schema.js";
import { createPreviewHandler, formatExpiry, parsePreviewArgs } from "../../src/handlers/preview.js";
import type { PreviewOps } from "../../src/ops/previews/preview-types.js";

function usage(args: string[]): OpsError {
  try {
    parsePreviewArgs(args);
  } catch (err) {
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe("bad_input");
    expect((err as OpsError).nextStep).toContain("/preview <branch>");
    return err as OpsError;
  }
  throw new Error(`expected ${JSON.stringify(args)} to be refused`);
}

describe("parsePreviewArgs", () => {
  it("reads the four forms", () => {
    expect(parsePreviewArgs(["feature/x"])).toEqual({ sub: "deploy", branch: "feature/x" });
    expect(parsePreviewArgs(["feature/x", "--ttl", "3d", "--sha", "3f2a9c1"])).toEqual({ sub: "deploy", branch: "feature/x", ttl: "3d", sha: "3f2a9c1" });
    expect(parsePreviewArgs(["--ttl=1d", "feature/x"])).toEqual({ sub: "deploy", branch: "feature/x", ttl: "1d" });
    expect(parsePreviewArgs(["list"])).toEqual({ sub: "list" });
    expect(parsePreviewArgs(["destroy", "feature-x"])).toEqual({ sub: "destroy", target: "feature-x", yes: false });
    expect(parsePreviewArgs(["destroy", "feature-x", "--yes"])).toEqual({ sub: "destroy", target: "feature-x", yes: true });
    expect(parsePreviewArgs(["extend", "feature-x", "2d"])).toEqual({ sub: "extend", target: "feature-x", duration: "2d" });
  });

  it("refuses unknown flags, flags of another sub-command, missing and extra arguments", () => {
    expect(usage([]).message).toContain("needs a branch name");
    usage(["feature/x", "--force"]);
    usage(["feature/x", "--yes"]);
    usage(["destroy", "x", "--ttl", "1d"]);
    usage(["list", "extra"]);
    expect(usage(["destroy"]).message).toContain("missing");
    expect(usage(["extend", "x"]).message).toContain("missing");
    expect(usage(["a", "b"]).message).toContain('unexpected argument "b"');
    usage(["feature/x", "--ttl"]);
  });

  it("never reads an argument starting with - as a name", () => {
    usage(["-rf"]);
    expect(usage(["--", "-rf"]).message).toContain('starts with "-"');
    usage(["destroy", "--", "--yes"]);
    // A flag value that looks like an option is refused by parseArgs' strict mode.
    usage(["feature/x", "--sha", "--ttl"]);
  });
});

describe("formatExpiry", () => {
  const now = new Date("2026-11-23T09:00:00Z");
  it("rounds to the nearest whole unit and adds the UTC time", () => {
    expect(formatExpiry(new Date("2026-11-26T09:00:00Z"), now)).toBe("in 3 days (2026-11-26 09:00 UTC)");
    expect(formatExpiry(new Date("2026-11-25T08:59:30Z"), now)).toBe("in 2 days (2026-11-25 08:59 UTC)");
    expect(formatExpiry(new Date("2026-11-23T09:59:50Z"), now)).toBe("in 1 hour (2026-11-23 09:59 UTC)");
    expect(formatExpiry(new Date("2026-11-23T09:30:00Z"), now)).toBe("in 30 minutes (2026-11-23 09:30 UTC)");
    expect(formatExpiry(new Date("2026-11-23T07:00:00Z"), now)).toBe("2 hours ago (2026-11-23 07:00 UTC)");
    expect(formatExpiry(new Date("2026-11-23T09:00:10Z"), now)).toBe("now (2026-11-23 09:00 UTC)");
  });
});

describe("permission", () => {
  // permission() only parses; it never reaches the operations.
  const unused = {} as PreviewOps;
  const handler = createPreviewHandler({ ops: unused, config: Previews.parse({ host: "local", base_dir: "/srv/p", domain: "p.test", image: "app:{ref}" }) });
  it("keys each sub-command; list is read-only", () => {
    expect(handler.permission(["feature/x"])).toEqual({ key: "preview", readOnly: false });
    expect(handler.permission(["list"])).toEqual({ key: "preview list", readOnly: true });
    expect(handler.permission(["destroy", "x", "--yes"])).toEqual({ key: "preview destroy", readOnly: false });
    expect(handler.permission(["extend", "x", "1d"])).toEqual({ key: "preview extend", readOnly: false });
    expect(() => handler.permission(["--bogus"])).toThrow(OpsError);
  });
});

describe("--ttl errors name the allowed range", () => {
  const unused = {} as PreviewOps; // the ttl is refused before any operation runs
  const handler = createPreviewHandler({ ops: unused, config: Previews.parse({ host: "local", base_dir: "/srv/p", domain: "p.test", image: "app:{ref}", max_ttl: "14d" }) });
  const actor = { platform: "console", id: "local", name: "local" } as const;
  async function refusal(args: string[]): Promise<OpsError> {
    const err = await handler.run({ name: "preview", args, text: `/preview ${args.join(" ")}`, actor, channelId: "console", respond: async () => {}, update: async () => {} }, async () => {}).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe("bad_input");
    return err as OpsError;
  }
  it.each([["0"], ["banana"], ["-1"], ["-1d"], ["15d"], ["30s"]])("--ttl %s", async (ttl) => {
    const err = await refusal(["feature/x", "--ttl", ttl]);
    expect(err.message).toContain("from 1m to 14d");
    expect(err.message).toContain(`"${ttl}"`);
    expect(err.message).not.toContain("ambiguous");
  });
  it("/preview extend names the range too", async () => {
    expect((await refusal(["extend", "x", "banana"])).message).toMatch(/^the extension "banana" is not a duration; it must be from 1m to 14d$/);
  });
  it("still reads --ttl -1 as the ttl, not as a flag", () => {
    expect(parsePreviewArgs(["feature/x", "--ttl", "-1"])).toEqual({ sub: "deploy", branch: "feature/x", ttl: "-1" });
  });
});
