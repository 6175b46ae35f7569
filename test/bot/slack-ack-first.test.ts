// The Slack HTTP receiver acknowledges before it works: a request that arrives while earlier
// commands are still queued is answered after at most the one command being worked on, not after
// all of them. Real Bolt app and our receiver on 127.0.0.1; the clients run in their own node
// process (this one is busy in the commands' work) and report when each ack arrived.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SlackAdapter } from "../../src/bot/slack/create-slack-adapter.js";
import type { Command, Reply } from "../../src/core/command.js";
import { createLogger } from "../../src/core/logger.js";
import { createRedactor } from "../../src/core/redact.js";
import { startFakeSlackApi, type FakeSlackApi } from "../fakes/fake-slack-api.js";
import { startSlackHttpAdapter } from "../support/slack-http-adapter.js";
import { slackSignedHeaders } from "../support/slack-signing.js";

const TEAM = "T0ACK";
const SIGNING_SECRET = randomBytes(16).toString("hex");
const BOT_TOKEN = `xoxb-4321-8765-${randomBytes(12).toString("hex")}`;
/** Each queued command holds the event loop this long (synchronous work, as CPU-bound work does). */
const WORK_MS = 150;

/** Sends `first` at once and `late` `lateAfterMs` later; prints each ack's arrival (epoch ms). */
const CLIENTS = String.raw`
import http from "node:http";
const { endpoint, first, late, lateAfterMs } = JSON.parse(process.env.ACK_TEST);
const url = new URL(endpoint);
const now = () => performance.timeOrigin + performance.now();
const post = ({ body, headers }) => new Promise((resolve, reject) => {
  const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", agent: false, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
    res.resume();
    res.on("end", () => resolve({ status: res.statusCode, at: now() }));
  });
  req.on("error", reject);
  req.end(body);
});
const firstAcks = Promise.all(first.map(post));
await new Promise((r) => setTimeout(r, lateAfterMs));
const lateSent = now();
const lateAck = await post(late);
process.stdout.write(JSON.stringify({ first: await firstAcks, late: lateAck, lateSent }) + "\n");
`;

interface Acks {
  first: Array<{ status: number; at: number }>;
  late: { status: number; at: number };
  lateSent: number;
}

function runClients(input: object): Promise<Acks> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", CLIENTS], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ACK_TEST: JSON.stringify(input) } });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString()));
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out) as Acks) : reject(new Error(`clients exited ${code}: ${out}`))));
  });
}

describe("Slack HTTP receiver: the ack comes before queued work", () => {
  let fake: FakeSlackApi;
  let adapter: SlackAdapter;
  let endpoint: string;
  const work: Array<{ text: string; start: number; end: number }> = [];

  beforeAll(async () => {
    fake = await startFakeSlackApi({ botToken: BOT_TOKEN, teamId: TEAM });
    const redact = createRedactor();
    const dispatch = async (command: Command): Promise<Reply> => {
      const start = Date.now();
      while (Date.now() - start < WORK_MS); // synchronous work: nothing else runs meanwhile
      work.push({ text: command.text, start, end: Date.now() });
      return { status: "info", title: "done" };
    };
    ({ adapter, endpoint } = await startSlackHttpAdapter({
      apiUrl: fake.apiUrl,
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      dispatch,
      log: createLogger({ level: "error", redact, destination: { write: () => undefined } }),
      redact,
    }));
  });

  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
  });

  const signed = (text: string): { body: string; headers: Record<string, string> } => {
    const body = new URLSearchParams({
      team_id: TEAM, channel_id: "CACK", user_id: "UACK", user_name: "ack", command: "/status", text, api_app_id: "A0ACK",
      response_url: fake.responseUrl(`ack-${text}`), trigger_id: `${Date.now()}.${randomBytes(6).toString("hex")}`,
    }).toString();
    return { body, headers: slackSignedHeaders(SIGNING_SECRET, Math.floor(Date.now() / 1000), body) };
  };

  it("acks a request that arrives behind five queued commands before the third of them starts", async () => {
    const first = Array.from({ length: 5 }, (_, i) => signed(`first-${i}`));
    const acks = await runClients({ endpoint, first, late: signed("late"), lateAfterMs: 40 });
    await expect.poll(() => work.length, { timeout: 10_000 }).toBe(6);

    expect([...acks.first.map((a) => a.status), acks.late.status]).toEqual([200, 200, 200, 200, 200, 200]);
    const firstWork = work.filter((w) => w.text.includes("first-")).sort((a, b) => a.start - b.start);
    // It was sent while the first command was being worked on…
    expect(acks.lateSent).toBeLessThan(firstWork[0]!.end);
    // …and answered once that command's turn ended: before the third queued command began. When
    // the queued commands ran back to back after their acks, it waited for all five (≈ 5 × 150 ms).
    expect(acks.late.at).toBeLessThan(firstWork[2]!.start);
    // Work still runs in arrival order, each command once: the late one last.
    expect(work.at(-1)?.text).toBe("/status late");
    expect(new Set(work.map((w) => w.text)).size).toBe(6);
  });

  it("a connection that never sends a request does not hold the work back for more than a moment", async () => {
    const url = new URL(endpoint);
    const idle = connect({ host: "127.0.0.1", port: Number(url.port) });
    await new Promise<void>((resolve, reject) => idle.once("connect", resolve).once("error", reject));
    try {
      const before = work.length;
      const { body, headers } = signed("behind-idle");
      const res = await fetch(endpoint, { method: "POST", headers, body });
      expect(res.status).toBe(200);
      await expect.poll(() => work.slice(before).map((w) => w.text), { timeout: 2000 }).toEqual(["/status behind-idle"]);
    } finally {
      idle.destroy();
    }
  });

  it("answers Slack's unsigned ssl_check probe and a signed url_verification as Bolt's receiver did, and runs nothing", async () => {
    const before = work.length;
    const probe = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "ssl_check=1&token=legacy" });
    expect([probe.status, await probe.text()]).toEqual([200, ""]);
    const challenge = JSON.stringify({ type: "url_verification", token: "legacy", challenge: "c-3f9a" });
    const verified = await fetch(endpoint, { method: "POST", headers: slackSignedHeaders(SIGNING_SECRET, Math.floor(Date.now() / 1000), challenge, "application/json"), body: challenge });
    expect(verified.status).toBe(200);
    expect(await verified.json()).toEqual({ challenge: "c-3f9a" });
    // Unsigned, it is refused like anything else.
    const unsigned = await fetch(endpoint, { method: "POST", headers: { "content-type": "application/json" }, body: challenge });
    expect(unsigned.status).toBe(401);
    expect(work.length).toBe(before);
  });

  it("answers a path or method it does not serve with 404", async () => {
    expect((await fetch(endpoint.replace("/slack/events", "/other"), { method: "POST", body: "x" })).status).toBe(404);
    expect((await fetch(endpoint, { method: "GET" })).status).toBe(404);
  });
});
