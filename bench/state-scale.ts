// Benchmark (issue 14 item 3): flat per-command cost after a year of state. Fills a data dir with
// 100k finished operations (incl. 20k previews created and destroyed), 600 deployments, 2k decided
// approvals and 1M audit lines in rotated files; starts the bot (createApp + the Slack HTTP adapter
// from the config, Web API = the loopback fake) in a child process per run; fires 50 signed `/status`
// slash commands at once; reports ack p99, command start-to-first-reply p99 (arrival on the fake's
// response_url), state file size after start-up pruning, start-up time (createApp + adapters, and
// spawn-to-ready). With `--served`, each bot then gets a second burst, reported apart (warm code). Usage: npx tsx bench/state-scale.ts [tree…] (default: this tree); several trees
// run interleaved, e.g. `npx tsx bench/state-scale.ts . /tmp/od-store-base` (git worktree of the old code).
// `--served` runs each tree's bot as `npm start` does (node <its flags> bin/opsdeck.mjs, the compiled build) instead
// of importing its sources through tsx; start-up is then spawn → the Slack endpoint's first answer.
// BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" passes node flags to each bot child (profiling).
// A tree written `<dir>::<node flags>` (e.g. `.::--max-lazy`) runs that tree's bot with those flags
// too, so the same tree with and without a V8 flag can run interleaved.
// Three processes: this one (the loopback fake Slack API, which timestamps the replies), the bot, and
// the 50 clients (their own plain-node process since 2026-12-01; before, they shared this process with
// the fake, whose reply handling delayed the reading of the acks). The burst is 50 `/status` commands.
// The tree `bolt-floor` (with --served) is bench/bolt-floor.mjs, a stock Bolt app that only acks and
// posts "ok": the SDK's own cost per burst on this machine, run interleaved with the bots.
import { spawn, spawnSync } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { copyFileSync, createWriteStream, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { startFakeSlackApi } from "../test/fakes/fake-slack-api.js";
import { startFlagsOf } from "./start-flags.js";

const BURST = 50;
/** The tree name for bench/bolt-floor.mjs: a stock Bolt app that acks and says "ok" (with --served). */
const BOLT_FLOOR = "bolt-floor";
const repoDir = resolve(import.meta.dirname, "..");
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 3);
const SERVED = process.argv.includes("--served");
const TEAM = "TBENCH";
const USER = "UBENCH";
const DAY = 86_400_000;

async function fillHistory(dir: string): Promise<void> {
  const now = Date.now();
  const yearAgo = now - 365 * DAY;
  const at = (i: number, n: number): number => yearAgo + Math.floor((i / n) * 365 * DAY);
  const operations: unknown[] = [];
  for (let i = 0; i < 100_000; i++) {
    const t = at(i, 100_000);
    const preview = i < 40_000; // 20k previews: one create and one destroy each
    operations.push({
      id: randomUUID(), kind: preview ? (i % 2 ? "preview-destroy" : "preview-create") : i % 3 ? "deploy" : "job:ttl-cleanup",
      target: preview ? `feature-${Math.floor(i / 2)}` : "staging", actor: `slack:${TEAM}/${USER}`, status: i % 17 ? "succeeded" : "failed",
      startedAt: new Date(t).toISOString(), endedAt: new Date(t + 30_000).toISOString(), summary: preview ? `up at https://preview-feature-${Math.floor(i / 2)}.preview.example.com` : "done in 31 s",
    });
  }
  const deployments = Array.from({ length: 600 }, (_, i) => ({
    id: `d-${i}`, env: ["staging", "preprod", "prod"][i % 3], kind: "deploy", tag: `sha-${(1_000_000 + i).toString(16)}`, previousTag: null, actor: `slack:${TEAM}/${USER}`,
    actorName: "bench", startedAt: new Date(at(i, 600)).toISOString(), endedAt: new Date(at(i, 600) + 90_000).toISOString(), durationMs: 90_000, result: "succeeded", rolledBack: false,
  }));
  const approvals = Array.from({ length: 2000 }, (_, i) => ({
    id: (0x10000000 + i).toString(16), kind: "deploy", env: "prod", ref: `sha-${(1_000_000 + i).toString(16)}`, currentTag: null, migrations: false, requester: `slack:${TEAM}/${USER}`,
    requesterName: "bench", channelId: "CBENCH", createdAt: new Date(at(i, 2000)).toISOString(), expiresAt: new Date(at(i, 2000) + 1_800_000).toISOString(), status: "approved",
    approvals: [{ actor: `slack:${TEAM}/U2`, name: "two", at: new Date(at(i, 2000) + 60_000).toISOString() }], required: 1, decidedAt: new Date(at(i, 2000) + 60_000).toISOString(),
  }));
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "state.json"), JSON.stringify({ version: 1, previews: [], operations, deliveries: [], deployments, approvals }));
  // 1M audit lines: audit.jsonl plus 4 rotated files of 200k lines each.
  for (let f = 0; f < 5; f++) {
    const out = createWriteStream(join(dir, f === 0 ? "audit.jsonl" : `audit.jsonl.${f}`));
    for (let i = 0; i < 200_000; i++) {
      const line = `${JSON.stringify({ time: new Date(at(i + f * 200_000, 1_000_000)).toISOString(), actor: `slack:${TEAM}/${USER}`, actorName: "bench", command: "preview", args: ["list"], decision: "allowed", result: "info", durationMs: 12 })}\n`;
      if (!out.write(line)) await once(out, "drain");
    }
    out.end();
    await once(out, "close");
  }
}

/** A data dir for one run: state.json and audit.jsonl copied, rotated audit files hard-linked (never written). */
function cloneData(from: string, to: string): void {
  mkdirSync(to, { recursive: true });
  for (const f of readdirSync(from)) {
    if (f === "state.json" || f === "audit.jsonl") copyFileSync(join(from, f), join(to, f));
    else if (f.startsWith("audit.jsonl.")) linkSync(join(from, f), join(to, f));
  }
}

const CHILD = String.raw`
const t0 = performance.now();
const tree = process.env.BENCH_TREE;
const { loadConfig } = await import(tree + "/src/config/load-config.ts");
const { createApp } = await import(tree + "/src/app.ts");
const { startChatAdapters } = await import(tree + "/src/bot/start-chat-adapters.ts");
const tImported = performance.now();
const loaded = loadConfig(process.env.BENCH_CONFIG);
const app = await createApp({ loaded, logDestination: { write() {} } });
const chat = await startChatAdapters({ chat: loaded.config.chat, dispatch: app.router.dispatch, log: app.log, redact: app.redact, store: app.store, alertTargets: app.alertTargets });
await app.reportStartup();
const tReady = performance.now();
const cpuAtReady = process.cpuUsage();
console.log("READY " + JSON.stringify({ importMs: tImported - t0, startMs: tReady - tImported }));
process.stdin.on("data", async (b) => {
  if (String(b).startsWith("cpu")) { const u = process.cpuUsage(cpuAtReady); console.log("CPU " + (u.user + u.system) / 1000); return; }
  await chat.stop(); await app.close(); process.exit(0);
});
`;

function freePort(): Promise<number> {
  return new Promise((res) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => res(port));
    });
  });
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] ?? NaN;

const nodeArgsOf = (tree: string): string[] => [...(process.env["BENCH_NODE_ARGS"] ?? "").split(" "), ...(tree.split("::")[1] ?? "").split(" ")].filter(Boolean);
const dirOf = (tree: string): string => tree.split("::")[0]!;

async function runOnce(variant: string, seed: string, work: string, fakeApi: Awaited<ReturnType<typeof startFakeSlackApi>>, secrets: { token: string; signing: string }) {
  const data = join(work, `data-${randomBytes(4).toString("hex")}`);
  cloneData(seed, data);
  const port = await freePort();
  const config = join(work, `opsdeck-${randomBytes(4).toString("hex")}.yaml`);
  writeFileSync(config, [
    `data_dir: ${data}`, "commands_per_minute: 0", "log_level: warn", "http: { enabled: false }", "console: { enabled: false }", "hosts: { local: { type: local } }",
    "audit: { max_bytes: 536870912, keep: 5 }", `access: { roles: { admin: ["slack:${TEAM}/${USER}"] } }`,
    `chat: { slack: { enabled: true, mode: http, host: 127.0.0.1, port: ${port}, path: /slack/events, api_url: "${fakeApi.apiUrl}" } }`, "",
  ].join("\n"));
  const tree = dirOf(variant);
  if (SERVED) return runServed(variant, data, config, port, fakeApi, secrets);
  const spawned = performance.now();
  const child = spawn(process.execPath, [...nodeArgsOf(variant), "--import", "tsx", "--input-type=module", "-e", CHILD], {
    cwd: tree, stdio: ["pipe", "pipe", "inherit"],
    env: { ...process.env, BENCH_TREE: tree, BENCH_CONFIG: config, SLACK_BOT_TOKEN: secrets.token, SLACK_SIGNING_SECRET: secrets.signing },
  });
  let out = "";
  const ready = await new Promise<{ importMs: number; startMs: number }>((res, rej) => {
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      const m = /READY (.*)\n/.exec(out);
      if (m) res(JSON.parse(m[1]!) as { importMs: number; startMs: number });
    });
    child.on("exit", (code) => rej(new Error(`bot exited ${code}: ${out}`)));
  });
  const spawnToReadyMs = performance.now() - spawned;
  const endpoint = `http://127.0.0.1:${port}/slack/events`;
  try {
    const result = await burst(endpoint, fakeApi, secrets, data, ready, spawnToReadyMs);
    // The bot's CPU time (user + system) from ready to the last reply, per command: less sensitive to
    // a loaded machine than the latencies.
    child.stdin!.write("cpu\n");
    while (!/CPU (.*)\n/.test(out)) await new Promise((r) => setTimeout(r, 10));
    const cpuMs = Number(/CPU (.*)\n/.exec(out)![1]);
    return { ...result, cpuPerCommandMs: cpuMs / BURST };
  } finally {
    child.stdin!.write("stop\n");
    if (child.exitCode === null) await once(child, "exit");
    rmSync(data, { recursive: true, force: true });
  }
}

/** CPU time (user + system, ms) of a process so far, from /proc (Linux). */
function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}
const CLK_TCK = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/**
 * `--served`: the bot as `npm start` runs it — `node bin/opsdeck.mjs --config <file>` (the compiled
 * build of that tree; built once before the rounds) — ready when its Slack endpoint first answers
 * HTTP; start-up is spawn → that answer. The bot's CPU comes from /proc.
 */
async function runServed(variant: string, data: string, config: string, port: number, fakeApi: Awaited<ReturnType<typeof startFakeSlackApi>>, secrets: { token: string; signing: string }) {
  const tree = dirOf(variant);
  const spawned = performance.now();
  const boltFloor = tree === BOLT_FLOOR;
  const args = boltFloor ? [...nodeArgsOf(variant), join(repoDir, "bench", "bolt-floor.mjs")] : [...startFlagsOf(tree), ...nodeArgsOf(variant), join(tree, "bin", "opsdeck.mjs"), "--config", config];
  const child = spawn(process.execPath, args, {
    cwd: boltFloor ? repoDir : tree, stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, SLACK_BOT_TOKEN: secrets.token, SLACK_SIGNING_SECRET: secrets.signing, ...(boltFloor ? { PORT: String(port), BENCH_API_URL: fakeApi.apiUrl } : {}) },
  });
  const endpoint = `http://127.0.0.1:${port}/slack/events`;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`bot exited ${child.exitCode}`);
      const answered = await fetch(endpoint, { method: "POST", body: "" }).then(async (r) => (await r.text(), true), () => false);
      if (answered) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const spawnToReadyMs = performance.now() - spawned;
    const cpuAtReady = cpuMsOf(child.pid!);
    const result = await burst(endpoint, fakeApi, secrets, data, { startMs: spawnToReadyMs }, spawnToReadyMs);
    const cpuAfterFirst = cpuMsOf(child.pid!);
    // A second burst on the same bot: its code is compiled and warm by then (the first burst after a
    // start also pays V8's lazy compilation of every function on the path).
    const warm = await burst(endpoint, fakeApi, secrets, data, { startMs: spawnToReadyMs }, spawnToReadyMs);
    return { ...result, cpuPerCommandMs: (cpuAfterFirst - cpuAtReady) / BURST, warm: { ackP99: warm.ackP99, replyP99: warm.replyP99, cpuPerCommandMs: (cpuMsOf(child.pid!) - cpuAfterFirst) / BURST } };
  } finally {
    child.kill("SIGTERM");
    if (child.exitCode === null) await once(child, "exit");
    rmSync(data, { recursive: true, force: true });
  }
}

/**
 * The 50 Slack clients run in their own process (plain node): in the bench process they competed
 * with the fake Slack API, which takes the bot's replies while the acks are still being read, so
 * the ack times measured the bench as much as the bot. Bodies and signatures are made before the
 * burst; each ack time is send → response body read. The clients use node:http (no keep-alive, one
 * connection per request, as Slack's deliveries arrive) after a warm-up burst on a local no-op server
 * in their own process: a cold client (undici's fetch) alone showed p99 ≈ 90 ms against a server that
 * does nothing, node:http ≈ 15–35 ms, so the cold fetch measured the bench rather than the bot.
 */
const CLIENTS = String.raw`
import http from "node:http";
const { endpoint, requests } = JSON.parse(process.env.BENCH_BURST);
const url = new URL(endpoint);
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const post = (port, path, body, headers) => new Promise((resolve, reject) => {
  const sent = performance.now();
  const req = http.request({ host: "127.0.0.1", port, path, method: "POST", agent, headers: { ...headers, "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(body) } }, (res) => {
    res.resume();
    res.on("end", () => (res.statusCode === 200 ? resolve(performance.now() - sent) : reject(new Error("HTTP " + res.statusCode))));
  });
  req.on("error", reject);
  req.end(body);
});
// Warm the client's own HTTP code on a local no-op server first, so the burst measures the bot.
const noop = http.createServer((req, res) => { req.resume(); req.on("end", () => res.end()); });
await new Promise((r) => noop.listen(0, "127.0.0.1", r));
for (let i = 0; i < 3; i++) await Promise.all(requests.map(({ body }) => post(noop.address().port, "/", body, {})));
noop.close();
process.stdout.write("READY\n");
process.stdin.once("data", async () => {
  const burstStart = Date.now();
  const acks = await Promise.all(requests.map(({ body, ts, sig }) => post(url.port, url.pathname, body, { "x-slack-request-timestamp": ts, "x-slack-signature": sig })));
  process.stdout.write(JSON.stringify({ burstStart, acks: acks.map((a) => Math.round(a)) }) + "\n");
  process.exit(0);
});
`;

async function fireFromOwnProcess(endpoint: string, requests: Array<{ body: string; ts: string; sig: string }>): Promise<{ burstStart: number; acks: number[] }> {
  const child = spawn(process.execPath, ["--input-type=module", "-e", CLIENTS], { stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, BENCH_BURST: JSON.stringify({ endpoint, requests }) } });
  let out = "";
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  child.stdout!.on("data", (b: Buffer) => {
    out += b.toString();
    let i: number;
    while ((i = out.indexOf("\n")) >= 0) {
      lines.push(out.slice(0, i));
      out = out.slice(i + 1);
      wake?.();
    }
  });
  const next = async (): Promise<string> => {
    while (!lines.length) {
      if (child.exitCode !== null) throw new Error(`burst client exited ${child.exitCode}`);
      await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
    }
    return lines.shift()!;
  };
  if ((await next()) !== "READY") throw new Error("burst client did not start");
  child.stdin!.write("go\n");
  return JSON.parse(await next()) as { burstStart: number; acks: number[] };
}

async function burst(endpoint: string, fakeApi: Awaited<ReturnType<typeof startFakeSlackApi>>, secrets: { token: string; signing: string }, data: string, ready: { startMs: number }, spawnToReadyMs: number) {
  const run = randomBytes(3).toString("hex");
  const before = new Set(fakeApi.calls);
  const requests = Array.from({ length: BURST }, (_, i) => {
    const id = `${run}-${i}`; // response_url id
    const body = new URLSearchParams({ team_id: TEAM, team_domain: "bench", channel_id: "CBENCH", user_id: USER, user_name: "bench", command: "/status", text: "", api_app_id: "ABENCH", response_url: fakeApi.responseUrl(id), trigger_id: `${Date.now()}.${randomBytes(6).toString("hex")}` }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const sig = `v0=${createHmac("sha256", secrets.signing).update(`v0:${ts}:${body}`).digest("hex")}`;
    return { body, ts: String(ts), sig };
  });
  const { burstStart, acks } = await fireFromOwnProcess(endpoint, requests);
  // Replies arrive as chat.postMessage (in channel) or on the response_url; all 50 were sent within
  // a few ms, so the n-th reply's latency is its arrival minus the burst's start.
  const isReply = (c: (typeof fakeApi.calls)[number]): boolean => !before.has(c) && (c.method === "response_url" || ((c.method === "chat.postMessage" || c.method === "chat.postEphemeral") && c.args["channel"] === "CBENCH"));
  const deadline = Date.now() + 30_000;
  while (fakeApi.calls.filter(isReply).length < BURST && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const replies = fakeApi.calls.filter(isReply).slice(0, BURST).map((c) => c.at - burstStart);
  if (replies.length < BURST) throw new Error(`only ${replies.length} of ${BURST} replies arrived`);
  // BENCH_DIST=1 prints every ack and reply time of the burst (sorted), to see where the tail comes from.
  if (process.env["BENCH_DIST"]) console.log(`  acks ${[...acks].sort((x, y) => x - y).join(",")}\n  replies ${[...replies].sort((x, y) => x - y).map(Math.round).join(",")}`);
  const stateBytes = statSync(join(data, "state.json")).size;
  return { ackP99: pct(acks, 99), replyP99: pct(replies, 99), stateBytes, startMs: ready.startMs, spawnToReadyMs };
}

const treeArgs = process.argv.slice(2).filter((a) => a !== "--served");
const trees = (treeArgs.length ? treeArgs : ["."]).map((t) => (dirOf(t) === BOLT_FLOOR ? t : [resolve(dirOf(t)), ...t.split("::").slice(1)].join("::")));
if (trees.some((t) => dirOf(t) === BOLT_FLOOR) && !SERVED) throw new Error("the bolt-floor tree runs with --served only");
if (SERVED) {
  for (const tree of new Set(trees.map(dirOf).filter((t) => t !== BOLT_FLOOR))) {
    // Build each tree's dist/ now (bin/opsdeck.mjs builds when stale), so no round times a build.
    const r = spawnSync(process.execPath, [join(tree, "bin", "opsdeck.mjs"), "--help"], { cwd: tree, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${tree}: bin/opsdeck.mjs --help exited ${r.status}: ${r.stderr}`);
  }
}
const work = mkdtempSync(join(tmpdir(), "opsdeck-state-scale-"));
try {
  const seed = join(work, "seed");
  const t = performance.now();
  await fillHistory(seed);
  console.log(`filled: state.json ${(statSync(join(seed, "state.json")).size / 1e6).toFixed(1)} MB, audit ${(readdirSync(seed).filter((f) => f.startsWith("audit")).reduce((n, f) => n + statSync(join(seed, f)).size, 0) / 1e6).toFixed(0)} MB (1M lines) in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const secrets = { token: `xoxb-1111-2222-${randomBytes(12).toString("hex")}`, signing: randomBytes(16).toString("hex") };
  const fakeApi = await startFakeSlackApi({ botToken: secrets.token, teamId: TEAM });
  const results: Array<{ tree: string; ackP99: number; replyP99: number; warm?: { ackP99: number; replyP99: number; cpuPerCommandMs: number } }> = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      for (const tree of trees) {
        const x = await runOnce(tree, seed, work, fakeApi, secrets);
        console.log(`${tree}  round ${r + 1}: ack p99 ${x.ackP99} ms · first reply p99 ${x.replyP99} ms · ${dirOf(tree) === BOLT_FLOOR ? "(no state) ·" : `state ${(x.stateBytes / 1e6).toFixed(2)} MB ·`} start-up ${x.startMs.toFixed(0)} ms (spawn→ready ${x.spawnToReadyMs.toFixed(0)} ms) · bot CPU ${x.cpuPerCommandMs.toFixed(2)} ms/command`);
        if ("warm" in x && x.warm) console.log(`${tree}  round ${r + 1}, second burst (warm): ack p99 ${x.warm.ackP99} ms · first reply p99 ${x.warm.replyP99} ms · bot CPU ${x.warm.cpuPerCommandMs.toFixed(2)} ms/command`);
        results.push({ tree, ...x });
      }
    }
    // Medians per tree over the rounds (the goal is about p99 per burst; the median of those over rounds).
    const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
    for (const tree of trees) {
      const mine = results.filter((x) => x.tree === tree);
      const warm = mine.flatMap((x) => ("warm" in x && x.warm ? [x.warm] : []));
      console.log(`${tree}  median of ${mine.length}: ack p99 ${med(mine.map((x) => x.ackP99))} ms · first reply p99 ${med(mine.map((x) => x.replyP99))} ms${warm.length ? ` · warm: ack p99 ${med(warm.map((x) => x.ackP99))} ms, first reply p99 ${med(warm.map((x) => x.replyP99))} ms` : ""}`);
    }
    if (fakeApi.unexpected.length) console.log("unexpected Slack API calls:", fakeApi.unexpected.slice(0, 5));
  } finally {
    await fakeApi.close();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
