import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateError } from "../../src/core/errors.js";
import { lockDataDir } from "../../src/store/data-dir-lock.js";
import type { State } from "../../src/store/state.js";
import { openStore, type Store } from "../../src/store/store.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "opsdeck-store-"));

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
    // Each update reads the counter, yields (as an update that looks something up would), then
    // writes counter + 1. Without serialisation every update reads the same value and 49 are lost.
    await Promise.all(
      Array.from({ length: 50 }, () =>
        store.update(async (s) => {
          const seen = typeof s["counter"] === "number" ? s["counter"] : 0;
          await new Promise((r) => setTimeout(r, 1));
          s["counter"] = seen + 1;
        }),
      ),
    );
    expect(store.read()["counter"]).toBe(50);
    expect((await openStore(dir)).read()["counter"]).toBe(50);
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
