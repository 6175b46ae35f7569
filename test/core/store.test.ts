import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { StateError } from "../../src/core/errors.js";
import { lockDataDir } from "../../src/store/data-dir-lock.js";
import { openStore } from "../../src/store/store.js";

const tmp = (): string => mkdtempSync(join(tmpdir(), "opsdeck-store-"));

describe("store", () => {
  it("persists updates across reopen and serialises concurrent updates", async () => {
    const dir = tmp();
    const store = await openStore(dir);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        store.update((s) => {
          s.deliveries.push({ key: `k${i}`, at: new Date().toISOString() });
        }),
      ),
    );
    const again = await openStore(dir);
    expect(again.read().deliveries).toHaveLength(50);
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
