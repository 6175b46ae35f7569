// Benchmark: how fast the Slack HTTP path acknowledges slash commands while a long operation runs.
// The real Bolt adapter (our HTTP receiver on 127.0.0.1, port 0, signatures checked) with a real router,
// store, audit log and redactor; only the Slack Web API is the loopback fake from test/fakes. A
// separate Node process fires 50 correctly signed `/status` POSTs at once over a keep-alive agent
// while one `/preview` (5 s of "remote work") is in flight, and times each request until its
// response has been read. Prints ack latency p50/p99/max in ms. Usage: npx tsx bench/ack.ts
import { spawn } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { createSlackAdapter } from "../src/bot/slack/create-slack-adapter.js";
import { createRouter } from "../src/bot/router.js";
import { SlackConfig } from "../src/config/slack-config.js";
import { createAuditLog } from "../src/core/audit-log.js";
import { createAuthorize } from "../src/core/authorize.js";
import type { Reply } from "../src/core/command.js";
import { createLogger } from "../src/core/logger.js";
import { createMetrics } from "../src/core/metrics.js";
import { createRedactor } from "../src/core/redact.js";
import { Secret } from "../src/core/secret.js";
import type { Handler } from "../src/handlers/handler.js";
import { openStore } from "../src/store/store.js";
import { startFakeSlackApi } from "../test/fakes/fake-slack-api.js";

const BURST = 50;
const LONG_OP_MS = 5000;
const TEAM = "TBENCH";
const USER = "UBENCH";
const BOT_TOKEN = `xoxb-9999-8888-${randomBytes(12).toString("hex")}`;
const SIGNING_SECRET = randomBytes(16).toString("hex");

/**
 * The load generator, run as its own Node process so its work does not share the bot's event loop.
 * It reads the endpoint and signing secret from its environment (never a command line), sends one
 * burst over new keep-alive connections, then a second burst reusing them, and prints `{ cold: number[], warm: number[], statuses: number[] }` as JSON.
 */
const CLIENT = String.raw`
import { createHmac, randomBytes } from "node:crypto";
import http from "node:http";
const { ACK_ENDPOINT: endpoint, ACK_SIGNING_SECRET: secret, ACK_BURST, ACK_TEAM: team, ACK_USER: user } = process.env;
const burst = Number(ACK_BURST);
const url = new URL(endpoint);
const agent = new http.Agent({ keepAlive: true, maxSockets: burst, maxFreeSockets: burst });
function body(i, round) {
  return new URLSearchParams({
    token: "legacy", team_id: team, team_domain: "bench", channel_id: "CBENCH", channel_name: "bench",
    user_id: user, user_name: "bench", command: "/status", text: round + "-" + i, api_app_id: "ABENCH",
    is_enterprise_install: "false", response_url: "http://127.0.0.1:9/unused",
    trigger_id: Date.now() + "." + randomBytes(8).toString("hex"),
  }).toString();
}
function send(payload) {
  const ts = Math.floor(Date.now() / 1000);
  const sig = "v0=" + createHmac("sha256", secret).update("v0:" + ts + ":" + payload).digest("hex");
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: {
      "content-type": "application/x-www-form-urlencoded", "content-length": Buffer.byteLength(payload),
      "x-slack-request-timestamp": String(ts), "x-slack-signature": sig } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ ms: performance.now() - t0, status: res.statusCode }));
    });
    req.on("error", reject);
    req.end(payload);
  });
}
async function round(name) {
  const payloads = Array.from({ length: burst }, (_, i) => body(i, name));
  return Promise.all(payloads.map(send));
}
const cold = await round("cold");
const warm = await round("warm");
agent.destroy();
process.stdout.write(JSON.stringify({ cold: cold.map((r) => r.ms), warm: warm.map((r) => r.ms), statuses: [...cold, ...warm].map((r) => r.status) }));
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

function summary(label: string, xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const f = (n: number): string => n.toFixed(1);
  return `${label}: n=${s.length}  p50 ${f(percentile(s, 50))} ms  p99 ${f(percentile(s, 99))} ms  max ${f(s[s.length - 1] ?? NaN)} ms`;
}

function runClient(endpoint: string): Promise<{ cold: number[]; warm: number[]; statuses: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CLIENT], {
      env: { ...process.env, ACK_ENDPOINT: endpoint, ACK_SIGNING_SECRET: SIGNING_SECRET, ACK_BURST: String(BURST), ACK_TEAM: TEAM, ACK_USER: USER },
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with code ${String(code)}`));
      try {
        resolve(JSON.parse(out) as { cold: number[]; warm: number[]; statuses: number[] });
      } catch (err) {
        reject(new Error(`load generator printed no JSON: ${out.slice(0, 200)} (${String(err)})`));
      }
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-bench-ack-"));
  const fake = await startFakeSlackApi({ botToken: BOT_TOKEN, teamId: TEAM });
  const redact = createRedactor();
  const log = createLogger({ level: "warn", redact, destination: new Writable({ write: (_c, _e, cb) => cb() }) as unknown as import("pino").DestinationStream }); // a Writable is a valid pino destination

  let longStarted: () => void = () => undefined;
  const longRunning = new Promise<void>((resolve) => (longStarted = resolve));
  let longFinishedAt = 0;
  const preview: Handler = {
    name: "preview",
    summary: "a long operation",
    usage: ["/preview <branch>"],
    permission: () => ({ key: "preview", readOnly: false }),
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    async run(command, progress): Promise<Reply> {
      longStarted();
      await progress("remote work (5 s)…");
      await new Promise((r) => setTimeout(r, LONG_OP_MS));
      longFinishedAt = performance.now();
      return { status: "success", title: `preview ${command.args[0] ?? ""} is up` };
    },
  };
  const status: Handler = {
    name: "status",
    summary: "a quick command",
    usage: ["/status <text>"],
    permission: () => ({ key: "status", readOnly: true }),
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    async run(command, progress): Promise<Reply> {
      await progress("checking");
      return { status: "info", title: `status ${command.args.join(" ")}`, fields: [{ label: "Echo", value: command.args.join(" ") }] };
    },
  };
  const router = createRouter({
    handlers: [preview, status],
    authorize: createAuthorize({ roles: { admin: [`slack:${TEAM}/${USER}`] }, rules: {} }),
    audit: createAuditLog(join(dir, "audit.jsonl"), redact),
    log,
    metrics: createMetrics(),
    redact,
    store: await openStore(join(dir, "data")),
  });
  const adapter = createSlackAdapter({
    config: SlackConfig.parse({ enabled: true, mode: "http", host: "127.0.0.1", port: 0, path: "/slack/events", api_url: fake.apiUrl }),
    secrets: { botToken: new Secret(BOT_TOKEN), signingSecret: new Secret(SIGNING_SECRET) },
    dispatch: router.dispatch,
    log,
    redact,
  });
  await adapter.start();
  const endpoint = `http://127.0.0.1:${adapter.port() ?? 0}/slack/events`;

  try {
    // The long operation, through the same signed HTTP path; the burst starts once it runs.
    const longBody = new URLSearchParams({ token: "legacy", team_id: TEAM, channel_id: "CBENCH", user_id: USER, user_name: "bench", command: "/preview", text: "long-op", api_app_id: "ABENCH", response_url: "http://127.0.0.1:9/unused", trigger_id: `${Date.now()}.long` }).toString();
    const ts = Math.floor(Date.now() / 1000);
    const res = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-request-timestamp": String(ts), "x-slack-signature": `v0=${createHmac("sha256", SIGNING_SECRET).update(`v0:${ts}:${longBody}`).digest("hex")}` },
      body: longBody,
    });
    if (res.status !== 200) throw new Error(`the long operation's slash command got HTTP ${res.status}`);
    await longRunning;

    const result = await runClient(endpoint);
    const burstDoneAt = performance.now();
    const bad = result.statuses.filter((s) => s !== 200);
    if (bad.length > 0) throw new Error(`${bad.length} requests were not acknowledged with 200: ${bad.join(", ")}`);
    if (longFinishedAt !== 0 && longFinishedAt < burstDoneAt) throw new Error("the long operation ended before the burst did: the measurement is not under load");

    // Every acknowledged command really ran: its final reply reached the (fake) Web API.
    const expected = 2 * BURST;
    const deadline = Date.now() + 30_000;
    const finals = (): number => fake.callsOf("chat.update").filter((c) => JSON.stringify(c.args["blocks"]).includes("Echo")).length;
    while (finals() < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await fake.waitFor("chat.update", (c) => JSON.stringify(c.args["blocks"]).includes("long-op is up"), LONG_OP_MS + 5000);

    console.log(`Slack ack latency, ${BURST} signed slash commands at once over keep-alive while a ${LONG_OP_MS / 1000} s operation runs (Node ${process.version}):`);
    console.log(summary("  burst 1 (50 new keep-alive connections)", result.cold));
    console.log(summary("  burst 2 (the same connections reused)  ", result.warm));
    // Nearest-rank p99 of 50 samples is the 50th value, so it equals the max.
    const p99 = (xs: number[]): number => percentile([...xs].sort((x, y) => x - y), 99);
    const verdict = (xs: number[]): string => `${p99(xs) < 50 ? "met" : "NOT met"} (${p99(xs).toFixed(1)} ms)`;
    console.log(`  goal p99 < 50 ms: burst 1 ${verdict(result.cold)}, burst 2 ${verdict(result.warm)}`);
    console.log(`  commands completed: ${finals()}/${expected}; long operation still running during the bursts: yes; unexpected Web API calls: ${fake.unexpected.length}`);
  } finally {
    await adapter.stop();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// No process.exit on success: the process ends by itself once everything above is closed.
main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
