import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppFromConfig, type AppUnderTest } from "../support/app-from-config.js";

// Config maps are plain objects: a typed name like `constructor` must not reach Object.prototype.
describe("names that exist on Object.prototype are unknown names, not a crash", () => {
  let t: AppUnderTest;
  beforeAll(async () => {
    t = await createAppFromConfig();
  });
  afterAll(async () => {
    await t.close();
  });

  const cases: Array<[string, string[], RegExp]> = [
    ["runbook", ["show", "constructor"], /^there is no runbook named constructor$/],
    ["runbook", ["run", "constructor"], /^there is no runbook named constructor$/],
    ["runbook", ["show", "hasownproperty"], /^there is no runbook named hasownproperty$/],
    ["seed", ["constructor"], /^constructor cannot be seeded: it has no seed configuration$/],
    ["seed", ["tostring"], /cannot be seeded/],
    ["deploy", ["__proto__", "v1.0.0"], /^unknown environment/],
    ["deploy", ["constructor", "v1.0.0"], /^unknown environment "constructor"$/],
    ["deploy", ["history", "constructor"], /^unknown environment "constructor"$/],
    ["rollback", ["constructor"], /^unknown environment "constructor"$/],
    ["rollback", ["__proto__", "--to", "v1.0.0"], /^unknown environment/],
    ["backup", ["run", "constructor"], /^no backups are configured for "constructor"$/],
    ["backup", ["status", "constructor"], /^no backups are configured for "constructor"$/],
    ["audit", ["--env", "constructor"], /^unknown environment for --env$/],
    ["status", ["constructor"], /^unknown environment "constructor"$/], // /status <env> (issue 13): a name, looked up as an own key
    ["jobs", ["run", "constructor"], /^no job named "constructor"$/],
    ["deploy", ["approve", "constructor"], /^that is not an approval request id$/],
  ];

  it.each(cases)("/%s %j → a clear refusal, never the bug reply", async (name, args, title) => {
    const { final } = await t.dispatch(name, args);
    expect(final.status, JSON.stringify(final)).toBe("failure");
    expect(final.title).toMatch(title);
    expect(final.nextStep ?? "").not.toMatch(/bug in opsdeck/);
    expect(final.nextStep).toBeTruthy();
  });

  it("nothing was logged as an unexpected failure", () => {
    expect(t.logText()).not.toContain("command failed unexpectedly");
  });
});
