import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createButtonRefs } from "../../src/bot/button-refs.js";
import { StateError } from "../../src/core/errors.js";
import { getDailyRunKeys, getJobFailureReports, getJobRuns, lastRun } from "../../src/jobs/job-state.js";
import { findApproval } from "../../src/ops/approvals/create-approvals.js";
import { currentTagFromHistory, historyOf } from "../../src/ops/deploy/history.js";
import { pendingDnsDeletionsOf } from "../../src/ops/dns/pending-deletions.js";
import { getAlertStates } from "../../src/ops/health/alert-state.js";
import { STATE_VERSION } from "../../src/store/state.js";
import { openStore } from "../../src/store/store.js";
import { repoRoot } from "../support/test-env.js";
import { tempDir } from "../support/temp-dir.js";

const FIXTURE = join(repoRoot, "test/fixtures/state/v1-state.json");
/** The fixture was written on 2026-02-11; a fixed clock keeps its entries inside the pruning window. */
const clock = (): Date => new Date("2026-02-11T12:05:00.000Z");

function dataDirWith(text: string): { dir: string; path: string } {
  const dir = tempDir("opsdeck-migrate-");
  writeFileSync(join(dir, "state.json"), text);
  return { dir, path: join(dir, "state.json") };
}

describe("state migration", () => {
  it("opens a version 1 file written by the untyped store, migrates it to the current version, and every collection reads back typed", async () => {
    const dir = tempDir("opsdeck-migrate-");
    copyFileSync(FIXTURE, join(dir, "state.json"));
    const store = await openStore(dir, { clock });
    const s = store.read();
    expect(STATE_VERSION).toBe(2);
    expect(s.version).toBe(2);

    expect(s.previews.map((p) => [p.slug, p.status])).toEqual([["feature-login", "running"], ["fix-cart", "failed"]]);
    expect(s.operations.map((o) => o.status)).toEqual(["succeeded", "succeeded", "interrupted", "running"]);
    expect(s.deliveries.map((d) => d.key)).toEqual(["slack:cmd:T024BE7LD:1739270000.000100", "telegram:update:7001"]);
    expect(historyOf(s, "prod").map((d) => [d.kind, d.tag, d.rolledBack])).toEqual([["rollback", "sha-0f0f0f0", false], ["deploy", "sha-1a2b3c4", true]]);
    expect(currentTagFromHistory(s, "prod")).toBe("sha-0f0f0f0");
    expect(findApproval(s, "0badf00d")?.details).toEqual([{ label: "database", value: "app" }, { label: "dump", value: "2026-02-10 02:55 UTC, 14.2 MB" }]);
    expect(s.approvals.map((a) => a.status)).toEqual(["approved", "pending", "expired", "rejected"]);
    expect(findApproval(s, "a1b2c3d4")?.approvals[0]?.name).toBe("ben");
    expect(getJobRuns(s)).toHaveLength(2);
    expect(lastRun(s, "pre-backup")?.result).toBe("succeeded");
    expect(getDailyRunKeys(s)["pre-backup"]).toEqual(["2026-02-09", "2026-02-10", "2026-02-11"]);
    expect(getJobFailureReports(s)["ttl-cleanup"]?.summary).toBe("DNS delete failed for 1 record");
    expect(getAlertStates(s)["http:shop-home"]?.incident?.alertedSeverity).toBe("critical");
    expect(pendingDnsDeletionsOf(s)[0]?.attempts).toBe(5);
    expect(s.hostKeys["preview1"]?.fingerprint).toMatch(/^SHA256:/);
    expect(s.telegramHighWater["7000000001"]?.updateId).toBe(7001);
    expect(s.gitHostComments).toEqual({}); // absent in version 1: the empty default
    const refs = createButtonRefs({ store, ttlMs: 86_400_000, clock });
    expect(refs.get("Qm9vbTEyMzQ1Njc4")?.command).toBe("/preview destroy feature-login");

    // Written back as version 2 at once; the version 1 file is kept beside it, byte for byte.
    const onDisk = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as { version: number };
    expect(onDisk.version).toBe(2);
    expect(readFileSync(join(dir, "state.json.v1"), "utf8")).toBe(readFileSync(FIXTURE, "utf8"));
    // A second start reads version 2 and does not migrate again.
    const again = await openStore(dir, { clock });
    expect(again.read().approvals).toHaveLength(4);
  });

  it("keeps record fields and top-level keys it does not declare (written concurrently by other features)", async () => {
    const fixture = JSON.parse(readFileSync(FIXTURE, "utf8")) as Record<string, unknown> & { approvals: Array<Record<string, unknown>> };
    fixture.approvals[1]!["notYetDeclared"] = { platform: "slack", channel: "C0DEPLOYS", ts: "1739275200.000100" };
    fixture["futureCollection"] = [{ a: 1 }];
    const { dir, path } = dataDirWith(JSON.stringify(fixture));
    const store = await openStore(dir, { clock });
    await store.update((s) => void s.deliveries.push({ key: "k", at: clock().toISOString() }));
    const onDisk = JSON.parse(readFileSync(path, "utf8")) as typeof fixture;
    expect(onDisk.approvals[1]!["notYetDeclared"]).toEqual({ platform: "slack", channel: "C0DEPLOYS", ts: "1739275200.000100" });
    expect(onDisk["futureCollection"]).toEqual([{ a: 1 }]);
  });

  it("refuses a file of a newer version, names both versions and leaves the data directory untouched", async () => {
    const text = JSON.stringify({ version: 99, previews: [], operations: [], deliveries: [], somethingNew: {} });
    const { dir, path } = dataDirWith(text);
    const err = await openStore(dir, { clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    const message = (err as Error).message;
    expect(message).toContain(path);
    expect(message).toContain("version 99");
    expect(message).toContain(`version ${STATE_VERSION}`);
    expect(message).toContain("upgrade opsdeck");
    expect(readFileSync(path, "utf8")).toBe(text);
    expect(readdirSync(dir)).toEqual(["state.json"]);
  });

  it("stops on a collection of the wrong shape with a message naming the path, and changes nothing", async () => {
    const fixture = JSON.parse(readFileSync(FIXTURE, "utf8")) as { approvals: Array<Record<string, unknown>>; alertStates: Record<string, Record<string, unknown>> };
    fixture.approvals[3]!["status"] = "maybe";
    fixture.alertStates["host:db1:disk"]!["history"] = "ok";
    const text = JSON.stringify(fixture);
    const { dir, path } = dataDirWith(text);
    const err = await openStore(dir, { clock }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as Error).message).toContain("approvals[3].status");
    expect((err as Error).message).toContain('alertStates["host:db1:disk"].history');
    expect((err as Error).message).toContain(path);
    expect(readFileSync(path, "utf8")).toBe(text);
    expect(existsSync(join(dir, "state.json.last-good"))).toBe(false);
  });
});
