import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { createMetrics } from "../../src/core/metrics.js";
import { repo, scratchCheckout, scratchConsoleConfig } from "../support/scratch-checkout.js";

// What `npm start` runs: bin/opsdeck.mjs builds dist/ with bin/build-dist.mjs (an esbuild bundle)
// when it is missing or stale, then runs it. Driven in a scratch checkout whose src/ and node_modules/
// are links to this one, so the real dist/ is never touched.
const scratch = scratchCheckout("opsdeck-bundle");
const dataDir = join(scratch, "data");
const config = scratchConsoleConfig(scratch, dataDir);

const launch = (...argv: string[]) => spawnSync(process.execPath, [join(scratch, "bin", "opsdeck.mjs"), ...argv], { cwd: scratch, encoding: "utf8", timeout: 120_000 });

describe("the bundled entry (bin/opsdeck.mjs → dist/main.js)", () => {
  it("builds dist/ on first start, answers a one-shot /help, and does not rebuild when fresh", () => {
    const first = launch("run", "/help", "--config", config);
    expect(first.stderr).toContain("building dist/");
    expect(first.status).toBe(0);
    expect(first.stdout).toContain("opsdeck commands");
    expect(first.stdout).toContain("/preview <branch>");
    // One entry and a few chunks, not one file per source module (~300 under src/).
    // Each build has a directory of its own (dist/builds/<id>), named by dist/current.
    const build = join(scratch, "dist", "builds", readFileSync(join(scratch, "dist", "current"), "utf8").trim());
    const js = readdirSync(build).filter((f) => f.endsWith(".js"));
    expect(js).toContain("main.js");
    expect(js.length).toBeLessThan(80);
    expect(existsSync(join(build, "core"))).toBe(false);
    const again = launch("run", "/help", "--config", config);
    expect(again.stderr).not.toContain("building dist/");
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(first.stdout);
  }, 240_000);

  it("npm start and the Dockerfile pass the same V8 flags, and this node runs the bot with them", () => {
    const start = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
    const startFlags = /^node((?:\s+--[\w-]+)*)\s+bin\/opsdeck\.mjs$/.exec(start)?.[1]?.trim().split(/\s+/) ?? [];
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(readFileSync(join(repo, "Dockerfile"), "utf8"))?.[1] ?? "[]") as string[];
    expect(startFlags).toEqual(["--always-sparkplug", "--no-lazy-feedback-allocation"]);
    expect(entrypoint).toEqual(["node", ...startFlags, "dist/main.js"]);
    const probe = join(scratch, "flags-probe.mjs");
    writeFileSync(probe, `process.on("exit", () => process.stderr.write("EXECARGV " + JSON.stringify(process.execArgv) + "\\n"));\n`);
    const run = spawnSync(process.execPath, [...startFlags, "--import", probe, join(scratch, "bin", "opsdeck.mjs"), "run", "/help", "--config", config], { cwd: scratch, encoding: "utf8", timeout: 120_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("opsdeck commands");
    expect(run.stderr).toContain(`EXECARGV ${JSON.stringify([...startFlags, "--import", probe])}`);
  }, 240_000);

  it("refuses a bad config with the same message and exit code as the sources", () => {
    const bad = join(scratch, "bad.yaml");
    writeFileSync(bad, `data_dir: ${dataDir}\nhttp: { enabled: flase }\nbogus_key: 1\n`);
    const bundled = launch("run", "/help", "--config", bad);
    const sources = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts", "run", "/help", "--config", bad], { cwd: repo, encoding: "utf8", timeout: 120_000 });
    expect(bundled.status).toBe(78);
    expect(bundled.stderr).toContain('http.enabled: must be of type boolean, not string "flase"');
    expect(bundled.stderr).toContain('unknown key(s) "bogus_key"');
    expect(bundled.stderr.replace(/^opsdeck: (building|built) .*\n/gm, "")).toBe(sources.stderr);
    expect(sources.status).toBe(78);
  }, 240_000);

  it("a one-shot run does not import prom-client (metrics load only for a served /metrics)", () => {
    // Lists the CommonJS modules loaded by the end of the process (prom-client is CommonJS).
    const probe = join(scratch, "probe.mjs");
    writeFileSync(probe, 'import { createRequire } from "node:module";\nconst r = createRequire(import.meta.url);\nprocess.on("exit", () => process.stderr.write(`\\nLOADED ${Object.keys(r.cache).filter((k) => k.includes("/prom-client/")).length}\\n`));\n');
    const r = spawnSync(process.execPath, ["--import", "tsx", "--import", probe, "src/main.ts", "run", "/help", "--config", config], { cwd: repo, encoding: "utf8", timeout: 120_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("LOADED 0");
  }, 120_000);
});

describe("the bundled bot serving /metrics", () => {
  it("loads prom-client at start, counts console commands and logs through the bundled pino", async () => {
    const port = await new Promise<number>((done) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => done(p));
      });
    });
    const served = join(scratch, "served.yaml");
    writeFileSync(served, readFileSync(config, "utf8").replace(/^(http:\s*\n\s*enabled:) false/m, "$1 true").replace(/^(\s*port:) 8787$/m, `$1 ${port}`));
    const child = spawn(process.execPath, [join(scratch, "bin", "opsdeck.mjs"), "--config", served], { cwd: scratch, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise((done) => child.once("exit", done));
    try {
      const until = async (text: string): Promise<void> => {
        for (let t = 0; !out.includes(text) && t < 600; t++) await sleep(100);
        expect(out).toContain(text);
      };
      await until("opsdeck>");
      child.stdin.write("/help\n");
      await until("opsdeck commands");
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      const text = await res.text();
      expect(text).toContain('opsdeck_commands_total{command="help",outcome="info"} 1');
      expect(text).toContain("opsdeck_process_cpu_user_seconds_total");
      // pino is bundled too: its JSON lines still reach stderr.
      expect(out).toMatch(/\{"level":30,.*"msg":"http server listening/);
    } finally {
      child.stdin.end("/quit\n");
      await Promise.race([exited, sleep(10_000).then(() => child.kill("SIGKILL"))]);
    }
  }, 240_000);
});

describe("metrics before prom-client is loaded", () => {
  it("keeps counts and observations made before load() and serves them after", async () => {
    const m = createMetrics();
    m.commands.inc({ command: "help", outcome: "ok" });
    m.commands.inc({ command: "help", outcome: "ok" });
    m.commandDuration.observe({ command: "help" }, 0.1);
    const text = await m.registry.metrics();
    expect(text).toContain('opsdeck_commands_total{command="help",outcome="ok"} 2');
    expect(text).toContain('opsdeck_command_duration_seconds_count{command="help"} 1');
    expect(text).toContain("opsdeck_process_cpu_user_seconds_total");
    expect(m.registry.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    m.commands.inc({ command: "help", outcome: "ok" });
    expect(await m.registry.metrics()).toContain('opsdeck_commands_total{command="help",outcome="ok"} 3');
  });
});
