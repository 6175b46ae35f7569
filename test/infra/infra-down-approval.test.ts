// /infra down with the real approval step: the real router, infra and deploy handlers and
// operations, the real persisted approvals (createApprovals over a lowdb store in a temp dir), the
// approval desk and createInfraDownApproval, against the loopback Hetzner and Cloudflare fakes of
// infra-world. Decisions are the same `/deploy approve <id>` every approval uses.
import { readFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRouter, type Router } from "../../src/bot/router.js";
import { Environments, type ApprovalPolicy } from "../../src/config/environments-config.js";
import type { Access } from "../../src/config/schema.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import { createAuthorize } from "../../src/core/authorize.js";
import type { Actor, Command, Reply } from "../../src/core/command.js";
import { createMetrics } from "../../src/core/metrics.js";
import { splitCommand } from "../../src/core/validate.js";
import { approvalReplies, infraDownRequestReply } from "../../src/handlers/approval-replies.js";
import { createDeployHandler } from "../../src/handlers/deploy.js";
import { createInfraHandler } from "../../src/handlers/infra.js";
import { createApprovalDesk } from "../../src/ops/approvals/create-approval-desk.js";
import { approvalsOf, createApprovals, type ApprovalRecord } from "../../src/ops/approvals/create-approvals.js";
import { createDeployOp } from "../../src/ops/deploy/create-deploy-op.js";
import { createInfraDownRunner } from "../../src/ops/infra/infra-down-runner.js";
import { createInfraDownApproval, DEFAULT_INFRA_DOWN_POLICY, infraDownPolicyFrom } from "../../src/ops/infra/create-infra-down-approval.js";
import { createInfraOps } from "../../src/ops/infra/create-infra-ops.js";
import type { InfraDeps } from "../../src/ops/infra/infra-deps.js";
import { openStore, type Store } from "../../src/store/store.js";
import { admin as adminA, deployer, stranger, createInfraWorld, type InfraWorld } from "./infra-world.js";

const adminB: Actor = { platform: "slack", id: "T1/U2", name: "bea" };
const adminC: Actor = { platform: "discord", id: "333", name: "cy" };
/** A and B and C are admins; dora (deployer) may run /infra commands but approves nothing by default. */
const access: Access = {
  roles: { admin: ["console:local", "slack:T1/U2", "discord:333"], deployer: ["slack:T1/U1"] },
  rules: { infra: ["deployer"] },
};

interface Stack {
  router: Router;
  store: Store;
  send(text: string, actor: Actor): Promise<Reply>;
}

let w: InfraWorld;
let now: Date;
const clock = (): Date => now;

/**
 * The app as main.ts would build it, over `store`: building a second stack over a store reopened
 * from the same data directory is a restart (nothing carries over but the files).
 */
function createStack(store: Store, overrides: { policyFor?: (env: string) => ApprovalPolicy | undefined; serverNameFor?: (env: string) => string } = {}): Stack {
  const deps: InfraDeps = { ...w.deps, store };
  const approvals = createApprovals({ store, access, clock });
  const ops = createInfraOps(deps);
  const serverNameFor = overrides.serverNameFor ?? ((env: string) => ops.env(env).serverName);
  const policyOf = (env: string): ApprovalPolicy => (overrides.policyFor ?? (() => undefined))(env) ?? DEFAULT_INFRA_DOWN_POLICY;
  const environments = Environments.parse({});
  const notifier = { notify: async () => undefined };
  const audit = createAuditLog(w.auditPath, w.captured.redact);
  const desk = createApprovalDesk({ approvals, environments, notifier, audit, redact: w.captured.redact, log: w.captured.log, clock, runners: { "infra-down": createInfraDownRunner(ops, serverNameFor) }, policies: { "infra-down": policyOf }, replies: approvalReplies });
  const hook = createInfraDownApproval({ desk, approvals, access, policyOf, serverNameFor, requestReply: infraDownRequestReply, clock });
  const deploy = createDeployOp({ environments, targetFor: () => { throw new Error("no deploy targets in this test"); }, store, redact: w.captured.redact });
  const handlers = [createInfraHandler({ ...deps, access, ops, approvals: hook }), createDeployHandler({ environments, deploy, desk, store, notifier })];
  const router = createRouter({ handlers, authorize: createAuthorize(access), audit: createAuditLog(w.auditPath, w.captured.redact), log: w.captured.log, metrics: createMetrics(), redact: w.captured.redact, store });
  return {
    router,
    store,
    async send(text, actor) {
      const { name, args } = splitCommand(text);
      const command: Command = { name, args, text, actor, channelId: "C-test", respond: async () => undefined, update: async () => undefined };
      return router.dispatch(command);
    },
  };
}

const infraDowns = (store: Store): ApprovalRecord[] => approvalsOf(structuredClone(store.read())).filter((a) => a.kind === "infra-down");
/** What the Approve button of the newest infra-down request sends. */
const approveButton = (store: Store): string => `/deploy approve ${infraDowns(store).at(-1)?.id ?? "none"}`;
/** Hetzner calls that change something (snapshot, delete), since `from`. */
const writesSince = (from: number): string[] => w.hetznerFake.seen.slice(from).filter((s) => !s.startsWith("GET"));

let s: Stack;

beforeEach(async () => {
  now = new Date("2026-11-23T10:00:00Z");
  w = await createInfraWorld();
  s = createStack(w.store);
  expect((await s.send("/infra up preprod", adminA)).status).toBe("success");
});

afterEach(async () => {
  const logged = w.captured.lines.join("") + readFileSync(w.auditPath, "utf8");
  await w.close();
  expect(logged).not.toContain(w.hcloudToken);
  w.hetznerFake.assertNoProblems();
  w.cloudflareFake.assertNoProblems();
});

describe("/infra down needs a second person's approval", () => {
  it("request → requester, non-approver and stranger refused → approver B runs it once", async () => {
    const [server] = w.hetznerFake.servers();
    const start = w.hetznerFake.seen.length;

    const ask = await s.send("/infra down preprod", adminA);
    expect(ask.status).toBe("warning");
    expect(ask.title).toBe("approval needed: /infra down preprod (snapshot, then delete opsdeck-preview-preprod)");
    const [asked] = infraDowns(s.store);
    expect(ask.buttons).toEqual([expect.objectContaining({ command: `/deploy approve ${asked?.id}`, style: "danger" }), expect.objectContaining({ command: `/deploy reject ${asked?.id}` })]);
    expect(ask.lines?.join("\n")).toMatch(/Golden snapshot[\s\S]*Needs 1 approval\(s\) from someone with the role admin \(3 holder\(s\)\), other than the requester; expires 2026-11-23T10:30:00\.000Z/);
    const [record] = infraDowns(s.store);
    expect(record).toMatchObject({ env: "preprod", ref: "opsdeck-preview-preprod", requester: "console:local", status: "pending", required: 1 });
    expect(ask.fields).toContainEqual({ label: "request", value: record?.id });

    // --yes does not bypass it
    const yes = await s.send("/infra down preprod --yes", adminA);
    expect(yes.title).toMatch(/needs an approval; --yes does not replace it/);

    // the requester's own click
    const own = await s.send(approveButton(s.store), adminA);
    expect(own.status).toBe("failure");
    expect(own.title).toMatch(/you requested the infra-down of opsdeck-preview-preprod to preprod, so you cannot approve it/);

    // allowed to run /infra, but not an approver
    const dora = await s.send(approveButton(s.store), deployer);
    expect(dora.status).toBe("failure");
    expect(dora.title).toMatch(/needs one of the roles: admin/);

    // not a known user at all: the router stops it
    const eve = await s.send(approveButton(s.store), stranger);
    expect(eve.title).toMatch(/^not allowed: slack:T1\/U9 is not a known user/);

    expect(writesSince(start)).toEqual([]);
    expect(w.hetznerFake.servers()).toHaveLength(1);
    expect(infraDowns(s.store)[0]).toMatchObject({ status: "pending", approvals: [] });

    // B approves: snapshot, then delete
    const done = await s.send(approveButton(s.store), adminB);
    expect(done.status).toBe("success");
    expect(done.title).toBe("preprod is down");
    expect(writesSince(start)).toEqual([`POST /v1/servers/${server?.id}/actions/create_image`, `DELETE /v1/servers/${server?.id}`]);
    expect(w.hetznerFake.servers()).toEqual([]);
    expect(w.hetznerFake.snapshots()).toHaveLength(1);
    expect(infraDowns(s.store)).toEqual([expect.objectContaining({ status: "approved", decidedBy: "slack:T1/U2", approvals: [expect.objectContaining({ actor: "slack:T1/U2" })] })]);
    expect(s.store.read().operations.at(-1)).toMatchObject({ kind: "infra.down", target: "preprod", actor: "slack:T1/U2", status: "succeeded" });

    // the same button again: nothing left to approve, nothing called
    const afterDone = w.hetznerFake.seen.length;
    for (const actor of [adminB, adminC]) {
      const again = await s.send(approveButton(s.store), actor);
      expect(again.status).toBe("failure");
      expect(again.title).toMatch(/was already approved by bea/);
    }
    expect(w.hetznerFake.seen.length).toBe(afterDone);
  });

  it("two approvers clicking at once: one takes it down, the other is told it was already approved", async () => {
    await s.send("/infra down preprod", adminA);
    const clicks = await Promise.all([s.send(approveButton(s.store), adminB), s.send(approveButton(s.store), adminC)]);
    expect(clicks.map((r) => r.status).sort()).toEqual(["failure", "success"]);
    expect(clicks.find((r) => r.status === "failure")?.title).toMatch(/already approved by|no open approval request/);
    expect(w.hetznerFake.actions().filter((a) => a.command === "delete_server")).toHaveLength(1);
    expect(w.hetznerFake.servers()).toEqual([]);
  });

  it("asking again while a request is open shows that request instead of opening a second", async () => {
    const first = await s.send("/infra down preprod", adminA);
    const second = await s.send("/infra down preprod", deployer);
    expect(second.lines?.[0]).toMatch(/already open \(asked by local\)/);
    expect(second.fields).toEqual(first.fields);
    expect(infraDowns(s.store)).toHaveLength(1);
    // dora asked too, but the request is A's: B's click completes it
    expect((await s.send(approveButton(s.store), adminB)).status).toBe("success");
  });

  it("no server: no request is opened", async () => {
    expect((await s.send("/infra down preprod", adminA)).status).toBe("warning");
    expect((await s.send(approveButton(s.store), adminB)).status).toBe("success");
    const none = await s.send("/infra down preprod", adminA);
    expect(none.status).toBe("failure");
    expect(none.title).toBe("No server to take down for preprod");
    expect(infraDowns(s.store).filter((r) => r.status === "pending")).toEqual([]);
  });
});

describe("persistence and expiry", () => {
  it("an open request survives a restart (store reopened from the same data dir) and is approved after it", async () => {
    await s.send("/infra down preprod", adminA);
    const [asked] = infraDowns(s.store);

    const restarted = createStack(await openStore(dirname(w.auditPath)));
    // A's own click is still refused after the restart: the requester is persisted too.
    expect((await restarted.send(approveButton(restarted.store), adminA)).title).toMatch(/you requested the infra-down/);
    expect(w.hetznerFake.servers()).toHaveLength(1);
    const done = await restarted.send(approveButton(restarted.store), adminB);
    expect(done.status).toBe("success");
    expect(w.hetznerFake.servers()).toEqual([]);
    // what is on disk now, read by a third start
    const third = await openStore(dirname(w.auditPath));
    expect(infraDowns(third)).toEqual([expect.objectContaining({ id: asked?.id, status: "approved", decidedBy: "slack:T1/U2" })]);
  });

  it("an expired request is refused and closed; a new one can be asked for", async () => {
    await s.send("/infra down preprod", adminA);
    now = new Date(now.getTime() + 30 * 60_000);
    const late = await s.send(approveButton(s.store), adminB);
    expect(late.status).toBe("failure");
    expect(late.title).toMatch(/^approval request [0-9a-f]{8} for \/infra down preprod expired at 2026-11-23T10:30:00\.000Z; nothing was run$/);
    expect(w.hetznerFake.servers()).toHaveLength(1);
    expect(infraDowns(s.store)).toEqual([expect.objectContaining({ status: "expired" })]);
    // and it stays refused
    expect((await s.send(approveButton(s.store), adminB)).title).toMatch(/was already expired/);

    const again = await s.send("/infra down preprod", adminA);
    expect(again.lines?.join(" ")).not.toMatch(/already open/);
    expect(infraDowns(s.store).map((r) => r.status)).toEqual(["expired", "pending"]);
    expect((await s.send(approveButton(s.store), adminB)).status).toBe("success");
  });

  it("a request overdue but not yet marked expired is not reused by a new ask", async () => {
    await s.send("/infra down preprod", adminA);
    now = new Date(now.getTime() + 31 * 60_000);
    const fresh = await s.send("/infra down preprod", adminA);
    expect(fresh.lines?.join(" ")).not.toMatch(/already open/);
    expect(fresh.lines?.join(" ")).toContain("expires 2026-11-23T11:01:00.000Z");
    expect((await s.send(approveButton(s.store), adminB)).status).toBe("success");
  });

  it("a request bound to one server name is refused once the env maps to another", async () => {
    await s.send("/infra down preprod", adminA);
    const renamed = createStack(await openStore(dirname(w.auditPath)), { serverNameFor: (env) => `other-prefix-${env}` });
    const click = await renamed.send(approveButton(renamed.store), adminB);
    expect(click.status).toBe("failure");
    expect(click.title).toMatch(/was for deleting opsdeck-preview-preprod, but preprod now maps to other-prefix-preprod; nothing was run/);
    expect(w.hetznerFake.servers()).toHaveLength(1);
  });
});

describe("the env's own approval policy", () => {
  const environments = Environments.parse({
    preprod: { host: "local", compose_dir: "/srv/preprod", project: "preprod", approval: { approvers: ["deployer"], required: 2, expiry: "10m" } },
    staging: { host: "local", compose_dir: "/srv/staging", project: "staging" },
  });

  it("infraDownPolicyFrom: an env's policy when it names approvers, otherwise the admin default", () => {
    const policyFor = infraDownPolicyFrom(environments);
    expect(policyFor("preprod")).toMatchObject({ approvers: ["deployer"], required: 2, expiry: 600_000 });
    expect(policyFor("staging")).toBeUndefined(); // no approval section: approvers [] after parsing
    expect(policyFor("qa")).toBeUndefined();
    expect(policyFor("constructor")).toBeUndefined();
    expect(DEFAULT_INFRA_DOWN_POLICY).toEqual({ approvers: ["admin"], required: 1, expiry: 1_800_000, emergency_rollback_roles: [] });
  });

  it("approver roles, the required count and the expiry come from the env's policy", async () => {
    const strict = createStack(w.store, {
      policyFor: (env) => (env === "preprod" ? { approvers: ["deployer", "admin"], required: 2, expiry: 10 * 60_000, emergency_rollback_roles: [] } : undefined),
    });
    const ask = await strict.send("/infra down preprod", adminA);
    expect(ask.lines?.join(" ")).toMatch(/Needs 2 approval\(s\) from someone with the role deployer or admin \(4 holder\(s\)\).*expires 2026-11-23T10:10:00\.000Z/);

    const first = await strict.send(approveButton(strict.store), deployer);
    expect(first).toMatchObject({ status: "info", title: "approval recorded (1 of 2)" });
    expect(w.hetznerFake.servers()).toHaveLength(1);
    expect((await strict.send(approveButton(strict.store), deployer)).title).toMatch(/you already approved request/);
    expect(w.hetznerFake.servers()).toHaveLength(1);

    expect((await strict.send(approveButton(strict.store), adminB)).status).toBe("success");
    expect(w.hetznerFake.servers()).toEqual([]);
    expect(infraDowns(strict.store)[0]?.approvals.map((v) => v.actor)).toEqual(["slack:T1/U1", "slack:T1/U2"]);
  });
});
