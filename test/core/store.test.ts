import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateError } from "../../src/core/errors.js";
import { lockDataDir } from "../../src/store/data-dir-lock.js";
import { emptyState, type OperationRecord, type State } from "../../src/store/state.js";
import { openStore, type Store } from "../../src/store/store.js";
import { tempDir } from "../support/temp-dir.js";

const tmp = (): string => tempDir("opsdeck-store-");

describe("store", () => {
  it("persists updates across reopen", async () => {
    const dir = tmp();
    const store = await openStore(dir);
    for (let i = 0; i < 5; i++) {
      await store.update((s) => {
        s.deliveries.push({ key: `k${i}`, at: new Date().toISOString() });
      });
    }
    const again = await openStore(dir);
    expect(again.read().deliveries.map((d) => d.key)).toEqual(["k0", "k1", "k2", "k3", "k4"]);
  });

  it("serialises concurrent read-modify-write updates, also across an await inside the update", async () => {
    const dir = tmp();
    const store = await openStore(dir);
    // Each update reads the list, yields (as an update that looks something up would), then
    // writes the list it read plus one entry. Without serialisation every update reads the same
    // list and 49 entries are lost.
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.update(async (s) => {
          const seen = [...s.deliveries];
          await new Promise((r) => setTimeout(r, 1));
          s.deliveries = [...seen, { key: `k${i}`, at: new Date().toISOString() }];
        }),
      ),
    );
    expect(store.read().deliveries).toHaveLength(50);
    expect((await openStore(dir)).read().deliveries).toHaveLength(50);
  });

  it("writes the state compactly and leaves no temporary files behind", async () => {
    const dir = tmp();
    const store = await openStore(dir);
    await store.update((s) => {
      s.deliveries.push({ key: "x", at: "2026-01-01T00:00:00.000Z" });
    });
    const text = readFileSync(join(dir, "state.json"), "utf8");
    expect(text).not.toContain("\n");
    expect(text).toBe(JSON.stringify(JSON.parse(text)));
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("refreshes state.json.last-good after a write once 10 minutes have passed, and not before", async () => {
    const dir = tmp();
    let now = Date.parse("2026-03-01T10:00:00Z");
    const clock = (): Date => new Date(now);
    const push = (s: Store, key: string) =>
      s.update((st) => {
        st.deliveries.push({ key, at: new Date(now).toISOString() });
      });
    await push(await openStore(dir, { clock }), "a");
    const store = await openStore(dir, { clock }); // start-up copy: holds "a"
    const lastGood = (): string[] => (JSON.parse(readFileSync(join(dir, "state.json.last-good"), "utf8")) as State).deliveries.map((d) => d.key);
    expect(lastGood()).toEqual(["a"]);
    now += 9 * 60_000;
    await push(store, "b");
    expect(lastGood()).toEqual(["a"]);
    now += 60_000; // 10 minutes since the last copy
    await push(store, "c");
    expect(lastGood()).toEqual(["a", "b", "c"]);
    now += 5 * 60_000;
    await push(store, "d");
    expect(lastGood()).toEqual(["a", "b", "c"]);
    now += 5 * 60_000;
    await push(store, "e");
    expect(lastGood()).toEqual(["a", "b", "c", "d", "e"]);
  });

  it("refuses to start on a truncated state file, keeps it, and says how to restore the last good copy", async () => {
    const dir = tmp();
    const store = await openStore(dir);
    await store.update((s) => {
      s.deliveries.push({ key: "x", at: "2026-01-01T00:00:00.000Z" });
    });
    await openStore(dir); // a clean start keeps the last good copy
    const path = join(dir, "state.json");
    const full = readFileSync(path, "utf8");
    const truncated = full.slice(0, Math.floor(full.length / 2));
    writeFileSync(path, truncated);
    const err = await openStore(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain(`cp ${join(dir, "state.json.last-good")} ${path}`);
    expect(readFileSync(path, "utf8")).toBe(truncated);
    expect(JSON.parse(readFileSync(join(dir, "state.json.last-good"), "utf8")).deliveries).toHaveLength(1);
  });
});

describe("store pruning", () => {
  const day = 86_400_000;
  const op = (i: number, startedAt: number, status: OperationRecord["status"] = "succeeded"): OperationRecord => ({
    id: `op-${i}`,
    kind: "preview",
    target: `p${i}`,
    actor: "slack:T1:U1",
    status,
    startedAt: new Date(startedAt).toISOString(),
    ...(status === "running" ? {} : { endedAt: new Date(startedAt + 1000).toISOString() }),
  });

  it("drops finished operations past the age and count bounds at open, keeps running ones and the newest finished", async () => {
    const dir = tmp();
    const now = Date.parse("2026-06-01T00:00:00Z");
    const operations = [
      op(0, now - 200 * day, "running"), // open: never pruned, however old
      op(1, now - 120 * day), // past 90 days
      op(2, now - 100 * day, "failed"),
      op(3, now - 100 * day, "interrupted"), // interrupted but not yet reported: kept
      ...Array.from({ length: 10 }, (_, i) => op(10 + i, now - (10 - i) * day)),
    ];
    writeFileSync(join(dir, "state.json"), JSON.stringify({ ...emptyState(), operations }));
    const store = await openStore(dir, { clock: () => new Date(now), prune: { keepOperationsDays: 90, maxOperations: 5 } });
    expect(store.read().operations.map((o) => o.id)).toEqual(["op-0", "op-3", "op-15", "op-16", "op-17", "op-18", "op-19"]);
    // Written back at open, so the file on disk is small from the start.
    const onDisk = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as State;
    expect(onDisk.operations).toHaveLength(7);
  });

  it("prunes a year of finished history before validating it: only kept entries are checked, and their copy on disk is the file's bytes", async () => {
    const dir = tmp();
    const now = Date.parse("2026-06-01T00:00:00Z");
    // An entry the policy drops is not validated (it would be dropped right after); one it keeps still is.
    const pruned = { ...op(1, now - 200 * day), target: 5 };
    const text = JSON.stringify({ ...emptyState(), operations: [pruned, ...Array.from({ length: 20 }, (_, i) => op(10 + i, now - (20 - i) * 1000))] });
    writeFileSync(join(dir, "state.json"), text);
    const store = await openStore(dir, { clock: () => new Date(now), prune: { keepOperationsDays: 90, maxOperations: 5 } });
    expect(store.read().operations.map((o) => o.id)).toEqual(["op-25", "op-26", "op-27", "op-28", "op-29"]);
    expect(readFileSync(join(dir, "state.json.last-good"), "utf8")).toBe(text);

    const bad = tmp();
    writeFileSync(join(bad, "state.json"), JSON.stringify({ ...emptyState(), operations: [{ ...op(1, now - day), target: 5 }] }));
    const err = await openStore(bad, { clock: () => new Date(now), prune: { keepOperationsDays: 90, maxOperations: 5 } }).catch((e: unknown) => e);
    expect((err as Error).message).toContain("operations[0].target");
  });

  it("prunes in batches of writes, not on every update", async () => {
    const dir = tmp();
    const now = Date.parse("2026-06-01T00:00:00Z");
    const store = await openStore(dir, { clock: () => new Date(now), prune: { keepOperationsDays: 90, maxOperations: 3 }, pruneEveryWrites: 10 });
    for (let i = 0; i < 9; i++) await store.update((s) => void s.operations.push(op(i, now - 1000 + i)));
    expect(store.read().operations).toHaveLength(9); // no prune yet: 9 writes
    await store.update((s) => void s.operations.push(op(9, now)));
    expect(store.read().operations.map((o) => o.id)).toEqual(["op-7", "op-8", "op-9"]);
  });

  it("drops decided approvals past the age bound and keeps pending ones", async () => {
    const dir = tmp();
    const now = Date.parse("2026-06-01T00:00:00Z");
    const approval = (id: string, status: "pending" | "approved", at: number) => ({
      id, kind: "deploy", env: "prod", ref: "sha-abc1234", currentTag: null, migrations: false, requester: "slack:T1:U1", requesterName: "ann",
      channelId: "C1", createdAt: new Date(at).toISOString(), expiresAt: new Date(at + 1800_000).toISOString(), status, approvals: [], required: 1,
      ...(status === "pending" ? {} : { decidedAt: new Date(at + 60_000).toISOString() }),
    });
    const approvals = [approval("00000001", "approved", now - 100 * day), approval("00000002", "pending", now - 100 * day), approval("00000003", "approved", now - day)];
    writeFileSync(join(dir, "state.json"), JSON.stringify({ ...emptyState(), approvals }));
    const store = await openStore(dir, { clock: () => new Date(now), prune: { keepOperationsDays: 90, maxOperations: 5 } });
    expect(store.read().approvals.map((a) => a.id)).toEqual(["00000002", "00000003"]);
  });
});

describe("data directory lock", () => {
  it("lets one process hold a data directory; a second process is refused and told the holder's pid", async () => {
    const dir = tmp();
    const lock = await lockDataDir(dir);
    try {
      const script = `import { lockDataDir } from "./src/store/data-dir-lock.ts";
try { await lockDataDir(${JSON.stringify(dir)}); console.log("LOCKED"); } catch (e) { console.log("REFUSED " + e.message); }`;
      const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" });
      expect(r.stdout).toContain("REFUSED");
      expect(r.stdout).toContain(`pid ${process.pid}`);
    } finally {
      await lock.release();
    }
    expect(existsSync(join(dir, "opsdeck.pid"))).toBe(false);
    const again = await lockDataDir(dir);
    await again.release();
  });
});
