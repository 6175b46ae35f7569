import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lockDataDir } from "../../src/store/data-dir-lock.js";
import { repoRoot } from "../support/test-env.js";

const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), "opsdeck-lock-"));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Start `n` processes that each try to lock `dir` at the same moment (after a shared start time) and hold it 1.5 s. */
async function race(dir: string, n: number): Promise<string[]> {
  const at = Date.now() + 1500; // all of them loaded and waiting by then
  const script = `import { lockDataDir } from "./src/store/data-dir-lock.ts";
while (Date.now() < ${at}) {}
try { const l = await lockDataDir(${JSON.stringify(dir)}); console.log("LOCKED"); await new Promise((r) => setTimeout(r, 1500)); await l.release(); }
catch (e) { console.log("REFUSED " + e.message); }`;
  const runs = Array.from({ length: n }, () =>
    new Promise<string>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (c: Buffer) => (out += c.toString()));
      child.on("close", () => resolve(out.trim()));
    }),
  );
  return Promise.all(runs);
}

/** A pid that ran and exited (nothing runs under it now). */
function deadPid(): number {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" });
  return Number(r.stdout.trim());
}

describe("data directory lock, taken atomically", () => {
  it("of several processes starting at once, exactly one gets the lock", async () => {
    const dir = tmp();
    const results = await race(dir, 5);
    expect(results.filter((r) => r === "LOCKED")).toHaveLength(1);
    expect(results.filter((r) => r.startsWith("REFUSED") && /in use by another opsdeck process \(pid \d+\)/.test(r))).toHaveLength(4);
    expect(existsSync(join(dir, "opsdeck.pid"))).toBe(false); // released
  }, 30_000);

  it("of several processes finding a lock left by a killed holder, exactly one takes it over", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "opsdeck.pid"), `${deadPid()}\n`);
    mkdirSync(join(dir, ".opsdeck.lock")); // what an older opsdeck (proper-lockfile) left behind
    const results = await race(dir, 5);
    expect(results.filter((r) => r === "LOCKED")).toHaveLength(1);
    expect(results.filter((r) => r.startsWith("REFUSED"))).toHaveLength(4);
    expect(readdirSync(dir).filter((f) => f.startsWith("opsdeck.pid"))).toEqual([]); // no temp or takeover files left
  }, 30_000);

  it("takes over a stale lock at once in one process, and refuses a second lock while held", async () => {
    const dir = tmp();
    writeFileSync(join(dir, "opsdeck.pid"), `${deadPid()}\n`);
    const lock = await lockDataDir(dir);
    await expect(lockDataDir(dir)).rejects.toThrow(/already locked by this process/);
    await lock.release();
    const again = await lockDataDir(dir);
    await again.release();
  });
});
