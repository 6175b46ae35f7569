import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApprovalPolicy } from "../../src/config/environments-config.js";
import type { Access } from "../../src/config/schema.js";
import type { Actor } from "../../src/core/command.js";
import { OpsError } from "../../src/core/errors.js";
import { createApprovals } from "../../src/ops/approvals/create-approvals.js";
import { currentTagFromHistory, historyOf, previousGoodTag, recordDeployment, wasDeployed, type DeploymentRecord } from "../../src/ops/deploy/history.js";
import { markInterruptedDeploys } from "../../src/ops/deploy/mark-interrupted.js";
import { openStore } from "../../src/store/store.js";
import { tempDir } from "../support/temp-dir.js";

const actor = (id: string): Actor => ({ platform: "slack", id, name: id });
const alice = actor("ALICE");
const bob = actor("BOB");
const carol = actor("CAROL");
const dave = actor("DAVE");
const access: Access = {
  roles: { approver: ["slack:ALICE", "slack:BOB", "slack:CAROL"], deployer: ["slack:ALICE", "slack:DAVE"], admin: ["slack:ROOT"] },
  rules: {},
};
const policy = ApprovalPolicy.parse({ approvers: ["approver"] });

async function setup(now: { t: number }) {
  const dir = tempDir("opsdeck-appr-");
  const store = await openStore(dir);
  const approvals = createApprovals({ store, access, clock: () => new Date(now.t) });
  const request = () => approvals.request({ kind: "deploy", env: "prod", ref: "v1.2.0", currentTag: "v1.1.0", migrations: true, requester: alice, channelId: "C1", policy });
  return { dir, store, approvals, request };
}

async function refusal(p: Promise<unknown>): Promise<OpsError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OpsError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("approval state machine", () => {
  it("the requester never approves, a non-approver is refused, an approver approves once", async () => {
    const now = { t: Date.parse("2026-11-23T10:00:00Z") };
    const { approvals, request } = await setup(now);
    const rec = await request();
    expect(rec.status).toBe("pending");
    expect(rec.expiresAt).toBe("2026-11-23T10:30:00.000Z");

    const own = await refusal(approvals.decide(rec.id, alice, "approve", policy));
    expect(own.code).toBe("forbidden");
    expect(own.message).toMatch(/you requested/);
    const nonApprover = await refusal(approvals.decide(rec.id, dave, "approve", policy));
    expect(nonApprover.message).toMatch(/needs one of the roles: approver/);
    // Admin is not an approver unless the policy names it.
    expect((await refusal(approvals.decide(rec.id, actor("ROOT"), "approve", policy))).code).toBe("forbidden");
    expect(approvals.get(rec.id)?.status).toBe("pending");

    const ok = await approvals.decide(rec.id, bob, "approve", policy);
    expect(ok.kind).toBe("approved");
    expect(ok.record.decidedBy).toBe("slack:BOB");
    const again = await refusal(approvals.decide(rec.id, carol, "approve", policy));
    expect(again.code).toBe("conflict");
    expect(again.message).toMatch(/already approved by BOB/);
  });

  it("an empty approver list approves nobody", async () => {
    const { approvals, request } = await setup({ t: Date.now() });
    const rec = await request();
    const err = await refusal(approvals.decide(rec.id, bob, "approve", ApprovalPolicy.parse({ approvers: [] })));
    expect(err.message).toMatch(/approvers list is empty/);
  });

  it("concurrent approvals: exactly one winner", async () => {
    const { approvals, request } = await setup({ t: Date.now() });
    const rec = await request();
    const results = await Promise.allSettled([bob, carol, bob, carol].map((a) => approvals.decide(rec.id, a, "approve", policy)));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).toHaveLength(1);
    for (const r of results) if (r.status === "rejected") expect((r.reason as OpsError).code).toBe("conflict");
  });

  it("expires: a late click is refused and the request is marked expired, once", async () => {
    const now = { t: Date.parse("2026-11-23T10:00:00Z") };
    const { approvals, request } = await setup(now);
    const rec = await request();
    now.t += 30 * 60_000;
    const late = await approvals.decide(rec.id, bob, "approve", policy);
    expect(late.kind).toBe("expired");
    expect(approvals.get(rec.id)?.status).toBe("expired");
    expect((await refusal(approvals.decide(rec.id, bob, "approve", policy))).message).toMatch(/already expired/);

    const rec2 = await request();
    now.t += 31 * 60_000;
    expect((await approvals.expireDue()).map((r) => r.id)).toEqual([rec2.id]);
    expect(await approvals.expireDue()).toEqual([]);
  });

  it("needs `required` distinct approvals; the requester may withdraw with reject", async () => {
    const { approvals, store } = await setup({ t: Date.now() });
    const two = ApprovalPolicy.parse({ approvers: ["approver"], required: 2 });
    const rec = await approvals.request({ kind: "rollback", env: "prod", ref: "v1", currentTag: "v2", migrations: false, requester: dave, channelId: "C", policy: two });
    expect((await approvals.decide(rec.id, bob, "approve", two)).kind).toBe("recorded");
    expect((await refusal(approvals.decide(rec.id, bob, "approve", two))).message).toMatch(/already approved/);
    expect((await approvals.decide(rec.id, carol, "approve", two)).kind).toBe("approved");

    const rec2 = await approvals.request({ kind: "deploy", env: "prod", ref: "v3", currentTag: "v2", migrations: false, requester: dave, channelId: "C", policy: two });
    expect((await approvals.decide(rec2.id, dave, "reject", two)).kind).toBe("rejected");
    // State survives reopening the store.
    const reopened = await openStore(join(store.path, ".."));
    expect(createApprovals({ store: reopened, access }).get(rec2.id)?.status).toBe("rejected");
  });

  it("refuses malformed and unknown ids", async () => {
    const { approvals } = await setup({ t: Date.now() });
    expect((await refusal(approvals.decide("$(id)", bob, "approve", policy))).code).toBe("bad_input");
    expect((await refusal(approvals.decide("deadbeef", bob, "approve", policy))).code).toBe("not_found");
  });
});

describe("deployment history", () => {
  it("finds the last good tag before the current one and knows deployed tags", async () => {
    const { store } = await setup({ t: Date.now() });
    let i = 0;
    const rec = (tag: string, result: "succeeded" | "failed", extra: Partial<DeploymentRecord> = {}): DeploymentRecord => ({
      id: String(++i),
      env: "staging",
      kind: "deploy",
      tag,
      previousTag: null,
      actor: "slack:ALICE",
      actorName: "alice",
      startedAt: new Date(1_000_000 + i * 1000).toISOString(),
      endedAt: new Date(1_000_500 + i * 1000).toISOString(),
      durationMs: 500,
      result,
      rolledBack: false,
      ...extra,
    });
    await recordDeployment(store, rec("A", "succeeded"));
    await recordDeployment(store, rec("B", "succeeded", { previousTag: "A" }));
    await recordDeployment(store, rec("C", "failed", { previousTag: "B", rolledBack: true, rollbackHealthy: true }));
    await recordDeployment(store, { ...rec("Z", "succeeded"), env: "other" });
    const s = store.read();
    expect(historyOf(s, "staging").map((d) => d.tag)).toEqual(["C", "B", "A"]);
    expect(currentTagFromHistory(s, "staging")).toBe("B");
    expect(previousGoodTag(s, "staging", "B")).toBe("A");
    expect(wasDeployed(s, "staging", "A")).toBe(true);
    expect(wasDeployed(s, "staging", "C")).toBe(false);
    expect(wasDeployed(s, "staging", "Z")).toBe(false);
    await recordDeployment(store, rec("A", "succeeded", { kind: "rollback", previousTag: "B" }));
    expect(previousGoodTag(store.read(), "staging", "A")).toBe("B");
  });

  it("deploys still running at start-up become interrupted, once", async () => {
    const { store } = await setup({ t: Date.now() });
    await store.update((s) => {
      s.operations.push({ id: "a", kind: "deploy", target: "prod", actor: "slack:ALICE", status: "running", startedAt: new Date().toISOString() });
      s.operations.push({ id: "b", kind: "preview", target: "x", actor: "slack:ALICE", status: "running", startedAt: new Date().toISOString() });
      s.operations.push({ id: "c", kind: "rollback", target: "prod", actor: "slack:ALICE", status: "succeeded", startedAt: new Date().toISOString() });
    });
    expect((await markInterruptedDeploys(store)).map((o) => o.id)).toEqual(["a"]);
    expect(await markInterruptedDeploys(store)).toEqual([]);
    expect(store.read().operations.map((o) => o.status)).toEqual(["interrupted", "running", "succeeded"]);
  });
});
