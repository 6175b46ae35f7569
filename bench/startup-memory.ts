// Benchmark: idle memory of the compiled bot (console only, embedded default config) and the wall
// time of a one-shot `node bin/opsdeck.mjs run "/help"` (the compiled bot through its launcher),
// optionally side by side with another checkout (e.g. a `git worktree` of an older commit, built with
// its `npm run build`) in interleaved pairs. Prints each pair and the medians.
// Usage: npx tsx bench/startup-memory.ts [pairs=5] [--baseline DIR] [--all-chat]   (idle bots get the tree's `npm start` node flags, plus BENCH_NODE_ARGS)
// --all-chat: the idle bot also has Slack (HTTP), Discord and Telegram (polling) enabled against the
// loopback fakes in test/fakes/; RSS is read 3 s after all three have connected (auth.test, gateway
// IDENTIFY, getUpdates). Both checkouts must have dist/ built (`npm run build`); the bench never builds
// (if the launcher rebuilds because src/ changed during the run, that sample is timed again).
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startAllChatFakes, type AllChatFakes } from "./all-chat-fakes.js";
import { startFlagsOf } from "./start-flags.js";

const args = process.argv.slice(2);
const baselineAt = args.indexOf("--baseline");
const baseline = baselineAt >= 0 ? resolve(args[baselineAt + 1] ?? "") : undefined;
const pairs = Number(args.find((a, i) => /^\d+$/.test(a) && (baselineAt < 0 || i !== baselineAt + 1)) ?? 5);
const allChat = args.includes("--all-chat");
const fakes: AllChatFakes | undefined = allChat ? await startAllChatFakes() : undefined;
const current = resolve(new URL("..", import.meta.url).pathname);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** The embedded default config, with its own data dir and no HTTP port (several may run at once). */
function configFor(root: string, chat = ""): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-bench-mem-"));
  const text = readFileSync(join(root, "config", "opsdeck.yaml"), "utf8")
    .replace(/^data_dir: .*$/m, `data_dir: ${join(dir, "data")}`)
    .replace(/^(http:\s*\n\s*enabled:) true/m, "$1 false");
  const path = join(dir, "opsdeck.yaml");
  writeFileSync(path, `${text}\n${chat}`);
  return { path, dir };
}

function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** Start the console bot on a pipe that stays open, wait for the prompt plus 3 s, read its RSS. */
async function idleRss(root: string): Promise<number> {
  const cfg = configFor(root, fakes ? await fakes.chatSection() : "");
  const child = spawn(process.execPath, [...startFlagsOf(root), ...(process.env["BENCH_NODE_ARGS"] ?? "").split(" ").filter(Boolean), join(root, "dist", "main.js"), "--config", cfg.path], { cwd: root, stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...fakes?.env } });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  if (fakes) {
    await fakes.connected(30_000).catch((err: unknown) => {
      child.kill("SIGTERM");
      throw new Error(`${root}: the chat adapters did not all connect (${(err as Error).message}): ${out.slice(-2000)}`);
    });
  } else {
    const t0 = Date.now();
    while (!out.includes("opsdeck>") && Date.now() - t0 < 30_000) await sleep(50);
    if (!out.includes("opsdeck>")) throw new Error(`no console prompt from ${root}: ${out}`);
  }
  await sleep(3000);
  const kb = rssKb(child.pid ?? 0);
  const exited = new Promise((r) => child.once("exit", r));
  if (fakes) child.kill("SIGTERM");
  else child.stdin.end("/quit\n");
  await exited;
  rmSync(cfg.dir, { recursive: true, force: true });
  return kb / 1024;
}

/** `node bin/opsdeck.mjs run "/help"`, as a user types it (its staleness check of src/ included). */
function helpSeconds(root: string): number {
  const cfg = configFor(root);
  const once = (): { s: number; r: ReturnType<typeof spawnSync> } => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [join(root, "bin", "opsdeck.mjs"), "run", "/help", "--config", cfg.path], { cwd: root, encoding: "utf8" });
    return { s: (performance.now() - t0) / 1000, r };
  };
  let { s, r } = once();
  // Someone edited src/ meanwhile and the launcher rebuilt dist/: time the next (built) start instead.
  if (String(r.stderr).includes("building dist/")) ({ s, r } = once());
  rmSync(cfg.dir, { recursive: true, force: true });
  if (r.status !== 0) throw new Error(`/help failed in ${root}: ${String(r.stderr)}`);
  return s;
}

const roots = baseline ? [["baseline", baseline], ["current", current]] : [["current", current]];
for (const [, root] of roots) if (!existsSync(join(root!, "dist", "main.js"))) throw new Error(`${root}/dist/main.js is missing: run npm run build there`);
const results: Record<string, { rss: number[]; help: number[] }> = {};
for (const [name] of roots) results[name!] = { rss: [], help: [] };
for (let i = 0; i < pairs; i++) {
  // Alternate which checkout goes first, so drift on a noisy machine hits both alike.
  const order = i % 2 === 0 ? roots : [...roots].reverse();
  const line: string[] = [];
  for (const [name, root] of order) {
    const rss = await idleRss(root!);
    const help = helpSeconds(root!);
    results[name!]!.rss.push(rss);
    results[name!]!.help.push(help);
    line.push(`${name}: idle ${rss.toFixed(0)} MB, /help ${help.toFixed(2)} s`);
  }
  console.log(`pair ${i + 1}: ${line.join(" | ")}`);
}
for (const [name] of roots) {
  const r = results[name!]!;
  console.log(`${name} median: idle RSS${allChat ? " (Slack + Discord + Telegram on the loopback fakes)" : ""} ${median(r.rss).toFixed(0)} MB, one-shot /help ${median(r.help).toFixed(2)} s`);
}
if (baseline) {
  const b = results.baseline!;
  const c = results.current!;
  console.log(`ratio current/baseline: idle RSS ${(median(c.rss) / median(b.rss)).toFixed(2)}, /help ${(median(c.help) / median(b.help)).toFixed(2)}`);
}
await fakes?.close();
