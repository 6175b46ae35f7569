import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Access } from "../../src/config/schema.js";
import type { Actor } from "../../src/core/command.js";
import { uniqueName } from "../support/test-env.js";
import { connectTestHost, createDeployWorld, replyText, testEnv, type DeployWorld, type HostAdapters } from "./deploy-harness.js";

// Permission and run read one parsed value: flags before the env name, and repeated flags,
// cannot make the router authorise one thing and the handler run another.
const alice: Actor = { platform: "slack", id: "T1/UALICE", name: "alice" };
const lena: Actor = { platform: "slack", id: "T1/ULENA", name: "lena" };
const access: Access = {
  roles: { deployer: ["slack:T1/UALICE"], lead: ["slack:T1/ULENA"], admin: ["console:local"] },
  rules: { deploy: ["deployer"], "deploy@preprod": ["lead"], rollback: ["deployer"], "rollback@preprod": ["lead"], "audit@staging": ["deployer"] },
};

describe("one parse per command: permission is derived from what runs (real sshd)", () => {
  const name = uniqueName("parse-once");
  const dir = `${testEnv.previewsDir}/${name}`;
  let host: HostAdapters;
  let world: DeployWorld & { dataDir: string };
  const env = { host: "test", compose_dir: dir, project: name, pull: "never", lock_dir: dir, ref_pattern: "^v[0-9]+$" };

  beforeAll(async () => {
    host = connectTestHost();
    world = await createDeployWorld({ host, access, clock: () => new Date(), environments: { staging: env, preprod: env } });
  });

  afterAll(async () => {
    await host.close();
    rmSync(world.dataDir, { recursive: true, force: true });
  });

  const operations = (): number => world.store.read().operations.length;

  it("/rollback --to v1 preprod is checked against rollback@preprod, not the plain rollback rule", async () => {
    const refused = await world.send("/rollback --to v1 preprod", alice);
    expect(refused.final.title, replyText(refused.final)).toBe('not allowed: "rollback" needs one of the roles: lead');
    // The lead gets past authorisation, and the run reads the same env and ref.
    const lead = await world.send("/rollback --to v1 preprod", lena);
    expect(lead.final.title, replyText(lead.final)).toBe("v1 was never deployed successfully to preprod, so it is not a rollback target");
    expect(operations()).toBe(0);
  });

  it("/deploy --dry-run preprod v1 is checked against deploy@preprod", async () => {
    const refused = await world.send("/deploy --dry-run preprod v1", alice);
    expect(refused.final.title, replyText(refused.final)).toBe('not allowed: "deploy" needs one of the roles: lead');
    const lead = await world.send("/deploy --dry-run preprod v1", lena);
    expect(lead.final.title, replyText(lead.final)).toBe("plan: deploy v1 to preprod (dry run, nothing was changed)");
    expect(operations()).toBe(0);
  });

  it("/audit --env staging --env preprod is refused: a repeated flag has no single value to authorise", async () => {
    const repeated = await world.send("/audit --env staging --env preprod", alice);
    expect(repeated.final.status, replyText(repeated.final)).toBe("failure");
    expect(repeated.final.title).toBe("--env is given more than once");
    expect(repeated.final.nextStep).toBe("Give --env once.");
    expect((await world.send("/audit 5 --env staging", alice)).final.status).toBe("info");
    expect((await world.send("/audit 5 --env preprod", alice)).final.title).toMatch(/^not allowed/);
  });

  it("repeated --to and --dry-run are refused before anything runs", async () => {
    const cases: Array<[string, string]> = [
      ["/rollback staging --to v1 --to v2", "--to is given more than once"],
      ["/deploy staging v1 --dry-run --dry-run", "--dry-run is given more than once"],
    ];
    for (const [text, title] of cases) {
      const { final } = await world.send(text, alice);
      expect(final.title, text).toBe(title);
    }
    expect(operations()).toBe(0);
  });
});
