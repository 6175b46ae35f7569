// `/status <env>` (issue 13): per node of a deploy environment — tag, containers, health — through
// the whole app built from a config (local host, real dockerd); `/status` alone still shows the checks.
import { writeFileSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppFromConfig, type AppUnderTest } from "../support/app-from-config.js";

let t: AppUnderTest;
beforeAll(async () => {
  t = await createAppFromConfig();
  mkdirSync(`${t.dir}/staging`, { recursive: true });
  writeFileSync(`${t.dir}/staging/.env`, "IMAGE_TAG=v7\n");
});
afterAll(async () => {
  await t.close();
});

describe("/status <env>", () => {
  it("shows the environment's node with its tag and containers", async () => {
    const r = await t.dispatch("status", ["staging"]);
    expect(r.final.title).toMatch(/^staging: /);
    const field = r.final.fields?.find((f) => f.label.endsWith("/local"));
    expect(field?.value).toMatch(/^tag v7 · /);
    expect(field?.value).toContain("no containers");
  });

  it("refuses an unknown environment and a second argument, and keeps /status for the health checks", async () => {
    const unknown = await t.dispatch("status", ["nope"]);
    expect(unknown.final.status).toBe("failure");
    expect(unknown.final.title).toMatch(/unknown environment "nope"/);
    const two = await t.dispatch("status", ["staging", "extra"]);
    expect(two.final.status).toBe("failure");
    expect(two.final.title).toMatch(/at most one argument/);
    const plain = await t.dispatch("status", []);
    expect(plain.final.status).not.toBe("failure");
  });
});
