import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { scratchCheckout, scratchConsoleConfig } from "../support/scratch-checkout.js";

// The layout of dist/ (bin/dist-layout.mjs): whole builds under dist/builds/<id>, dist/current names
// the one to start, dist/main.js (the Dockerfile's entry) runs it. Driven with the real build script
// in a scratch checkout whose src/ and node_modules/ are links to this one.
const scratch = scratchCheckout("opsdeck-builds");
const config = scratchConsoleConfig(scratch);

const builds = (dist: string): string[] => readdirSync(join(dist, "builds")).sort();
const current = (dist: string): string => readFileSync(join(dist, "current"), "utf8").trim();
const buildInto = (dist: string) => spawnSync(process.execPath, [join(scratch, "bin", "build-dist.mjs"), dist], { cwd: scratch, encoding: "utf8", timeout: 120_000 });

describe("dist/ builds", () => {
  it("two builds racing into one dist/ both finish whole, and dist/main.js runs the one switched in last", async () => {
    const dist = join(scratch, "race-dist");
    const run = () => new Promise<number | null>((done) => spawn(process.execPath, [join(scratch, "bin", "build-dist.mjs"), dist], { cwd: scratch, stdio: "ignore" }).once("exit", done));
    expect(await Promise.all([run(), run()])).toEqual([0, 0]);
    const ids = builds(dist);
    expect(ids).toHaveLength(2); // no temporary directory left, neither build lost
    const files = ids.map((id) => readdirSync(join(dist, "builds", id)).sort());
    expect(files[0]).toContain("main.js");
    expect(files[1]).toEqual(files[0]); // same sources, same content-hashed chunk names
    expect(ids).toContain(current(dist));
    // What the Dockerfile's ENTRYPOINT runs.
    const r = spawnSync(process.execPath, [join(dist, "main.js"), "run", "/help", "--config", config], { cwd: scratch, encoding: "utf8", timeout: 120_000 });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("opsdeck commands");
  }, 240_000);

  it("keeps the current build, the 3 before it and the one a running bot uses; removes the rest and the old flat layout", async () => {
    const dist = join(scratch, "dist");
    // Left by the old layout (one flat dist/): removed by the next build.
    mkdirSync(dist, { recursive: true });
    writeFileSync(join(dist, "chunk-ABCDEFGH.js"), "");
    writeFileSync(join(dist, "app-ABCDEFGH.js.map"), "");
    const child = spawn(process.execPath, [join(scratch, "bin", "opsdeck.mjs"), "--config", config], { cwd: scratch, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise((done) => child.once("exit", done));
    let inUse = "";
    try {
      for (let t = 0; !out.includes("opsdeck>") && t < 600; t++) await sleep(100);
      expect(out).toContain("opsdeck>");
      inUse = current(dist);
      expect(existsSync(join(dist, "chunk-ABCDEFGH.js"))).toBe(false);
      expect(existsSync(join(dist, "app-ABCDEFGH.js.map"))).toBe(false);
      for (let i = 0; i < 4; i++) expect(buildInto(dist).status).toBe(0);
      // 5 builds: the running bot's is the oldest, beyond the 3 kept, and still there.
      expect(builds(dist)).toHaveLength(5);
      expect(builds(dist)).toContain(inUse);
      child.stdin.write("/help\n");
      for (let t = 0; !out.includes("opsdeck commands") && t < 600; t++) await sleep(100);
      expect(out).toContain("opsdeck commands");
    } finally {
      child.stdin.end("/quit\n");
      await Promise.race([exited, sleep(10_000).then(() => child.kill("SIGKILL"))]);
    }
    // The bot is gone: the next build removes its build, keeping the current one and 3 more.
    expect(buildInto(dist).status).toBe(0);
    expect(builds(dist)).toHaveLength(4);
    expect(builds(dist)).not.toContain(inUse);
    expect(builds(dist)).toContain(current(dist));
  }, 240_000);
});
