import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Access } from "../../src/config/schema.js";
import type { Actor, Reply } from "../../src/core/command.js";
import { historyOf } from "../../src/ops/deploy/history.js";
import { uniqueName } from "../support/test-env.js";
import { composeFile, connectTestHost, createDeployWorld, docker, replyText, testEnv, type DeployWorld, type HostAdapters, type Sent } from "./deploy-harness.js";
import { freePort } from "../support/test-user.js";

const person = (id: string, name: string): Actor => ({ platform: "discord", id, name });
const alice = person("1001", "alice"); // deployer + approver: still cannot approve her own request
const bob = person("1002", "bob"); // approver
const carol = person("1003", "carol"); // approver
const dave = person("1004", "dave"); // deployer only
const oscar = person("1005", "oscar"); // on call
const access: Access = {
  roles: {
    deployer: ["discord:1001", "discord:1004"],
    approver: ["discord:1001", "discord:1002", "discord:1003"],
    oncall: ["discord:1005"],
    admin: ["console:local"],
  },
  rules: { deploy: ["deployer"], rollback: ["deployer", "oncall"] },
};

/** The command a button would dispatch. */
function button(reply: Reply, label: "Approve" | "Reject"): string {
  const b = reply.buttons?.find((x) => x.label === label);
  if (!b) throw new Error(`no ${label} button on ${replyText(reply)}`);
  return b.command;
}

describe("protected environment: approvals (real sshd + dockerd)", () => {
  const name = uniqueName("deploy-prod");
  const dir = `${testEnv.previewsDir}/${name}`;
  let host: HostAdapters;
  let world: DeployWorld & { dataDir: string };
  let port: number;
  const clock = { now: Date.now() };
  const notices: Reply[] = [];

  const image = async (): Promise<string[]> => {
    const ids = (await docker("ps", "-q", "--filter", `label=com.docker.compose.project=${name}`)).split("\n").filter(Boolean);
    return Promise.all(ids.map((id) => docker("inspect", "-f", "{{.Config.Image}}", id)));
  };
  const prodOps = (w: DeployWorld): number => w.store.read().operations.filter((o) => o.target === "prod").length;
  const environments = () => ({
    prod: {
      host: "test",
      compose_dir: dir,
      project: name,
      pull: "never",
      lock_dir: dir,
      ref_pattern: "^v[0-9]+$",
      health_timeout: "40s",
      health_urls: [`http://127.0.0.1:${port}/`],
      migration_command: ["docker-compose", "run", "--rm", "app", "sh", "-c", "cat /www/index.html >> /data/migrations.log; echo >> /data/migrations.log"],
      protected: true,
      approval: { approvers: ["approver"], expiry: "30m", emergency_rollback_roles: ["oncall"] },
    },
  });

  beforeAll(async () => {
    host = connectTestHost();
    port = await freePort();
    await host.shell.writeFile(`${dir}/docker-compose.yml`, composeFile(port, true));
    await host.shell.writeFile(`${dir}/.env`, "IMAGE_TAG=v1\n", 0o600);
    world = await createDeployWorld({ host, access, clock: () => new Date(clock.now), environments: environments(), notices });
  });

  afterAll(async () => {
    await host.compose.down({ name, dir }, { volumes: true }).catch(() => undefined);
    await host.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let request: Sent;

  it("a deploy to prod posts an approval request with buttons, to the channel and the alert channel", async () => {
    request = await world.send("/deploy prod v2", alice);
    const r = request.final;
    expect(r.status).toBe("warning");
    expect(r.title).toBe("approval needed: deploy v2 to prod");
    expect(r.fields).toEqual(
      expect.arrayContaining([
        { label: "tag", value: "v1 → v2" },
        { label: "migrations", value: "will run" },
        { label: "requester", value: "alice" },
      ]),
    );
    expect(button(r, "Approve")).toMatch(/^\/deploy approve [0-9a-f]{8}$/);
    expect(button(r, "Reject")).toMatch(/^\/deploy reject [0-9a-f]{8}$/);
    expect(notices.some((n) => n.title === r.title && n.buttons?.length === 2)).toBe(true);
    expect(await image()).toEqual([]);
    expect(prodOps(world)).toBe(0);
  });

  it("the requester cannot approve; a user without the approver role cannot either; both are audited", async () => {
    const own = await world.send(button(request.final, "Approve"), alice);
    expect(own.final.status).toBe("failure");
    expect(own.final.title).toBe("you requested the deploy of v2 to prod, so you cannot approve it");
    const nonApprover = await world.send(button(request.final, "Approve"), dave);
    expect(nonApprover.final.title).toBe("approving a deploy to prod needs one of the roles: approver");
    const audit = world.auditText().trim().split("\n").map((l) => JSON.parse(l) as { actor: string; command: string; decision: string; detail?: string });
    expect(audit.filter((e) => e.command === "approval" && e.decision === "denied").map((e) => [e.actor, e.detail])).toEqual([
      ["discord:1001", expect.stringMatching(/you requested/)],
      ["discord:1004", expect.stringMatching(/needs one of the roles: approver/)],
    ]);
    expect(prodOps(world)).toBe(0);
  });

  it("two approvers click at once: exactly one deploy runs, with migrations, reported to the request message", async () => {
    const cmd = button(request.final, "Approve");
    const [b, c] = await Promise.all([world.send(cmd, bob), world.send(cmd, carol)]);
    const finals = [b.final, c.final];
    const won = finals.filter((f) => f.status === "success");
    const lost = finals.filter((f) => f.status === "failure");
    expect(won.map((f) => f.title)).toEqual(["deployed v2 to prod"]);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.title).toMatch(/was already approved by (bob|carol)/);
    expect(await image()).toEqual(["opsdeck-test/app:v2"]);
    expect(prodOps(world)).toBe(1);
    const hist = historyOf(world.store.read(), "prod");
    expect(hist).toHaveLength(1);
    expect(hist[0]).toMatchObject({ tag: "v2", result: "succeeded", actor: "discord:1001", previousTag: "v1" });
    expect(hist[0]?.approvedBy).toHaveLength(1);
    expect(await host.shell.readFile(`${dir}/data/migrations.log`)).toBe("version v2\n");
    // The request message itself was edited: approved, progress, then the result.
    const last = request.messages[request.messages.length - 1];
    expect(last?.title).toBe("deployed v2 to prod");
    expect(request.messages.some((m) => /approved by (bob|carol)/.test(m.title))).toBe(true);
    expect(notices.some((n) => /^(bob|carol) approved deploy of v2 to prod$/.test(n.title))).toBe(true);
    expect(notices.some((n) => n.title === "deployed v2 to prod")).toBe(true);
  });

  it("an expired request is refused and its message says expired", async () => {
    const req = await world.send("/deploy prod v3", alice);
    clock.now += 31 * 60_000;
    const late = await world.send(button(req.final, "Approve"), bob);
    expect(late.final.status).toBe("failure");
    expect(late.final.title).toMatch(/^approval request [0-9a-f]{8} expired at .*; nothing was run$/);
    const last = req.messages[req.messages.length - 1];
    expect(last?.title).toBe("deploy v3 to prod: expired");
    expect(last?.buttons).toBeUndefined();
    expect(notices.some((n) => /expired/.test(n.title))).toBe(true);
    expect(await image()).toEqual(["opsdeck-test/app:v2"]);
    expect(prodOps(world)).toBe(1);
  });

  it("a request pending across a restart can be approved afterwards", async () => {
    const req = await world.send("/deploy prod v1", alice);
    expect(req.final.status).toBe("warning");
    // Restart: a new store opened from the same data directory, a new router and handlers.
    await world.close();
    world = await createDeployWorld({ dataDir: world.dataDir, host, access, clock: () => new Date(clock.now), environments: environments(), notices });
    const approved = await world.send(button(req.final, "Approve"), carol);
    expect(approved.final.status, replyText(approved.final)).toBe("success");
    expect(approved.final.title).toBe("deployed v1 to prod");
    expect(await image()).toEqual(["opsdeck-test/app:v1"]);
    expect(historyOf(world.store.read(), "prod").map((d) => d.tag)).toEqual(["v1", "v2"]);
  });

  it("reject closes a request; a later approve is refused", async () => {
    const req = await world.send("/deploy prod v2", alice);
    const rejected = await world.send(button(req.final, "Reject"), bob);
    expect(rejected.final.title).toBe("rejected: deploy of v2 to prod");
    const late = await world.send(button(req.final, "Approve"), carol);
    expect(late.final.title).toMatch(/was already rejected by bob/);
    expect(await image()).toEqual(["opsdeck-test/app:v1"]);
  });

  it("rollback on prod needs approval, except for the emergency role, which is announced", async () => {
    const asked = await world.send("/rollback prod", dave);
    expect(asked.final.title).toBe("approval needed: roll back prod to v2");
    const before = prodOps(world);
    expect(before).toBe(2);

    const emergency = await world.send("/rollback prod", oscar);
    expect(emergency.final.status, replyText(emergency.final)).toBe("success");
    expect(emergency.final.title).toBe("rolled back prod to v2");
    expect(notices.some((n) => n.title === "emergency rollback of prod to v2 by oscar")).toBe(true);
    expect(await image()).toEqual(["opsdeck-test/app:v2"]);
    // A rollback does not run migrations.
    expect(await host.shell.readFile(`${dir}/data/migrations.log`)).toBe("version v2\nversion v1\n");
  });
});
