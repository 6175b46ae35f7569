import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineArgs, variant } from "../../src/core/command-args.js";
import { OpsError } from "../../src/core/errors.js";

const box = defineArgs("box", {
  variants: [
    variant({ positionals: [{ name: "name" }, { name: "size", optional: true }], flags: [{ name: "force" }, { name: "tag", value: "<t>" }], schema: z.object({ name: z.string(), size: z.coerce.number().int().optional(), force: z.boolean(), tag: z.string().optional() }) }),
    variant({ sub: "remove", positionals: [{ name: "name", label: "name|id" }], flags: [{ name: "yes", shown: "hidden" }], schema: z.object({ name: z.string(), yes: z.boolean() }) }),
  ],
});

function refusal(args: string[]): OpsError {
  try {
    box.parse(args);
  } catch (err) {
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe("bad_input");
    return err as OpsError;
  }
  throw new Error(`expected ${JSON.stringify(args)} to be refused`);
}

describe("defineArgs", () => {
  it("renders the usage lines and sub-commands from the declaration (hidden flags left out)", () => {
    expect(box.usage).toEqual(["/box <name> [size] [--force] [--tag <t>]", "/box remove <name|id>"]);
    expect(box.subcommands).toEqual(["remove"]);
  });

  it("reads flags anywhere, --name=value, and everything after -- as positionals", () => {
    expect(box.parse(["--tag=v1", "a", "3", "--force"])).toEqual({ name: "a", size: 3, force: true, tag: "v1" });
    expect(box.parse(["remove", "a", "--yes"])).toEqual({ name: "a", yes: true });
    expect(box.parse(["--", "a"])).toEqual({ name: "a", force: false });
  });

  it("refuses repeats (also mixed = and space forms), unknown flags, values on booleans, missing values", () => {
    expect(refusal(["a", "--tag=x", "--tag", "y"]).message).toBe("--tag is given more than once");
    expect(refusal(["a", "--nope"]).message).toBe('unknown option "--nope"');
    expect(refusal(["a", "-rf"]).nextStep).toBe("Known options: --force, --tag.");
    expect(refusal(["a", "--force=1"]).message).toBe("--force takes no value");
    expect(refusal(["a", "--tag", "--force"]).message).toBe("--tag needs a value");
    expect(refusal(["remove", "a", "--force"]).message).toBe('unknown option "--force"');
    expect(refusal(["--", "-a"]).message).toBe('"-a" starts with "-"; names never do');
  });

  it("refuses a wrong count with the usage line, and a wrong type with zod's message naming the argument", () => {
    expect(refusal([]).message).toBe("usage: /box <name> [size] [--force] [--tag <t>]");
    expect(refusal(["a", "1", "2"]).message).toBe("usage: /box <name> [size] [--force] [--tag <t>]");
    expect(refusal(["a", "big"]).message).toMatch(/^size: /);
  });
});
