// Future, stale and replayed Slack requests against the real Bolt app (our HTTP receiver behind the
// request guard), a real router and store; only the Slack Web API is a loopback fake. Both the
// adapter and the router read one test clock, so "later" needs no waiting.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSlackAdapter, type SlackAdapter } from "../../src/bot/slack/create-slack-adapter.js";
import { createRouter } from "../../src/bot/router.js";
import { SlackConfig } from "../../src/config/slack-config.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import { createAuthorize } from "../../src/core/authorize.js";
import type { Command, Reply } from "../../src/core/command.js";
import { createLogger } from "../../src/core/logger.js";
import { createMetrics } from "../../src/core/metrics.js";
import { createRedactor } from "../../src/core/redact.js";
import { Secret } from "../../src/core/secret.js";
import type { Handler } from "../../src/handlers/handler.js";
import { openStore } from "../../src/store/store.js";
import { startFakeSlackApi, type FakeSlackApi } from "../fakes/fake-slack-api.js";
import { slackSignature } from "../support/slack-signing.js";

const TEAM = "T0REPLAY";
const SIGNING_SECRET = randomBytes(16).toString("hex");
const BOT_TOKEN = `xoxb-1234-5678-${randomBytes(12).toString("hex")}`;
const MINUTE = 60;

describe("Slack request timestamps and replays (real Bolt app, our HTTP receiver)", () => {
  let dir: string;
  let fake: FakeSlackApi;
  let adapter: SlackAdapter;
  let endpoint: string;
  /** Offset of the test clock from real time, in ms; the adapter and the router both read it. */
  let offsetMs = 0;
  const clock = (): Date => new Date(Date.now() + offsetMs);
  const runs: string[] = [];

  const statusHandler: Handler = {
    name: "status",
    summary: "records what ran",
    usage: ["/status <text>"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: () => ({ key: "status", readOnly: true }),
    async run(command: Command): Promise<Reply> {
      runs.push(command.args.join(" "));
      return { status: "info", title: `status ${command.args.join(" ")}` };
    },
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "opsdeck-slack-replay-"));
    fake = await startFakeSlackApi({ botToken: BOT_TOKEN, teamId: TEAM });
    const redact = createRedactor();
    const log = createLogger({ level: "warn", redact, destination: { write: () => undefined } });
    const router = createRouter({
      handlers: [statusHandler],
      authorize: createAuthorize({ roles: { admin: [`slack:${TEAM}/UADMIN`] }, rules: {} }),
      audit: createAuditLog(join(dir, "audit.jsonl"), redact),
      log,
      metrics: createMetrics(),
      redact,
      store: await openStore(join(dir, "data")),
      clock,
    });
    const config = SlackConfig.parse({ enabled: true, mode: "http", port: 0, host: "127.0.0.1", path: "/slack/events", api_url: fake.apiUrl });
    adapter = createSlackAdapter({ config, secrets: { botToken: new Secret(BOT_TOKEN), signingSecret: new Secret(SIGNING_SECRET) }, dispatch: router.dispatch, log, redact, clock });
    await adapter.start();
    endpoint = `http://127.0.0.1:${adapter.port() ?? 0}/slack/events`;
  });

  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    offsetMs = 0;
    expect(fake.unexpected).toEqual([]);
  });

  const nowSec = (): number => Math.floor(clock().getTime() / 1000);
  const sign = (timestamp: string | number, body: string): string => slackSignature(SIGNING_SECRET, timestamp, body);

  function post(body: string, timestamp: string | number | undefined, signature = sign(timestamp ?? "", body), contentType = "application/x-www-form-urlencoded"): Promise<Response> {
    const headers: Record<string, string> = { "content-type": contentType, "x-slack-signature": signature };
    if (timestamp !== undefined) headers["x-slack-request-timestamp"] = String(timestamp);
    return fetch(endpoint, { method: "POST", headers, body });
  }

  function slashBody(text: string): string {
    return new URLSearchParams({
      team_id: TEAM,
      channel_id: "CDEV",
      user_id: "UADMIN",
      user_name: "admin",
      command: "/status",
      text,
      api_app_id: "A0TEST",
      response_url: fake.responseUrl(`r-${text}`),
      trigger_id: `${Date.now()}.${randomBytes(6).toString("hex")}`,
    }).toString();
  }

  /** A click on a message the bot posted (`ts` from the fake), as the clicker. */
  function clickBody(value: string, ts = "1.2"): string {
    const payload = {
      type: "block_actions",
      team: { id: TEAM, domain: "test" },
      user: { id: "UADMIN", username: "admin", name: "admin", team_id: TEAM },
      api_app_id: "A0TEST",
      container: { type: "message", message_ts: ts, channel_id: "CDEV", is_ephemeral: false },
      trigger_id: `${Date.now()}.${randomBytes(6).toString("hex")}`,
      channel: { id: "CDEV", name: "dev" },
      message: { type: "message", ts, text: "x" },
      response_url: fake.responseUrl(`click-${randomBytes(4).toString("hex")}`),
      actions: [{ type: "button", action_id: "opsdeck.button.0", block_id: "b1", text: { type: "plain_text", text: "Status" }, value, action_ts: "1.3" }],
    };
    return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  }

  /** Give a wrongly accepted request time to run before asserting that it did not. */
  const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 300));
  const ranTimes = (text: string): number => runs.filter((r) => r === text).length;

  it("runs a correctly signed, current request (the control case)", async () => {
    expect((await post(slashBody("control"), nowSec())).status).toBe(200);
    await expect.poll(() => ranTimes("control")).toBe(1);
  });

  it("refuses a signed slash command dated 6 minutes in the future with 401 and runs nothing", async () => {
    expect((await post(slashBody("future-6m"), nowSec() + 6 * MINUTE)).status).toBe(401);
    await settle();
    expect(ranTimes("future-6m")).toBe(0);
  });

  it("refuses a signed slash command dated 6 minutes in the past with 401 and runs nothing", async () => {
    expect((await post(slashBody("past-6m"), nowSec() - 6 * MINUTE)).status).toBe(401);
    await settle();
    expect(ranTimes("past-6m")).toBe(0);
  });

  it("refuses a signed slash command and a signed button click dated in 2030", async () => {
    const y2030 = Math.floor(Date.UTC(2030, 0, 1) / 1000);
    expect((await post(slashBody("y2030"), y2030)).status).toBe(401);
    expect((await post(clickBody("/status y2030-click"), y2030)).status).toBe(401);
    await settle();
    expect(ranTimes("y2030")).toBe(0);
    expect(ranTimes("y2030-click")).toBe(0);
  });

  it("refuses a signed event callback dated 6 minutes in the future", async () => {
    const body = JSON.stringify({ type: "event_callback", team_id: TEAM, api_app_id: "A0TEST", event: { type: "app_mention", user: "UADMIN", text: "hi", ts: "1.1", channel: "CDEV" }, event_id: "Ev1", event_time: 1 });
    expect((await post(body, nowSec() + 6 * MINUTE, undefined, "application/json")).status).toBe(401);
  });

  it("accepts a timestamp 4 minutes either way (inside Slack's 5)", async () => {
    expect((await post(slashBody("ahead-4m"), nowSec() + 4 * MINUTE)).status).toBe(200);
    expect((await post(slashBody("behind-4m"), nowSec() - 4 * MINUTE)).status).toBe(200);
    await expect.poll(() => ranTimes("ahead-4m") + ranTimes("behind-4m")).toBe(2);
  });

  it("refuses a missing, non-numeric or fractional timestamp with 401", async () => {
    const body = slashBody("bad-ts");
    expect((await post(body, undefined, sign(nowSec(), body))).status).toBe(401);
    for (const ts of ["", "abc", `${nowSec()}abc`, `${nowSec()}.5`, `-${nowSec()}`, " 1"]) {
      expect((await post(body, ts)).status, `timestamp ${JSON.stringify(ts)}`).toBe(401);
    }
    await settle();
    expect(ranTimes("bad-ts")).toBe(0);
  });

  it("runs an identical signed slash command replayed inside the window once", async () => {
    const body = slashBody("replay-now");
    const ts = nowSec();
    expect((await post(body, ts)).status).toBe(200);
    await expect.poll(() => ranTimes("replay-now")).toBe(1);
    expect((await post(body, ts)).status).toBe(200);
    await settle();
    expect(ranTimes("replay-now")).toBe(1);
  });

  it("runs an identical signed button click replayed inside the window once", async () => {
    const posted = await fake.waitFor("chat.postMessage", (c) => c.args["channel"] === "CDEV");
    const body = clickBody("/status replay-click", String(posted.result?.["ts"]));
    const ts = nowSec();
    expect((await post(body, ts)).status).toBe(200);
    await expect.poll(() => ranTimes("replay-click")).toBe(1);
    expect((await post(body, ts)).status).toBe(200);
    await settle();
    expect(ranTimes("replay-click")).toBe(1);
  });

  it("a request signed 5 minutes ahead, replayed almost 10 minutes later, still runs once", async () => {
    // The widest replay the skew allows: first seen at ts − 299 s, replayed at ts + 299 s.
    const body = slashBody("replay-edge");
    const ts = nowSec() + 299;
    expect((await post(body, ts)).status).toBe(200);
    await expect.poll(() => ranTimes("replay-edge")).toBe(1);
    offsetMs = 598_000;
    expect((await post(body, ts)).status).toBe(200);
    await settle();
    expect(ranTimes("replay-edge")).toBe(1);
  });

  it("a future-dated request replayed after the router's 10-minute memory is refused, not run again", async () => {
    // Old code: Bolt took the future timestamp and the router had forgotten the delivery by then.
    const body = slashBody("replay-late");
    const ts = nowSec() + 299;
    expect((await post(body, ts)).status).toBe(200);
    await expect.poll(() => ranTimes("replay-late")).toBe(1);
    offsetMs = 11 * 60_000;
    expect((await post(body, ts)).status).toBe(401);
    await settle();
    expect(ranTimes("replay-late")).toBe(1);
  });
});

describe("router delivery memory", () => {
  it("keeps delivery ids for 2 × 5 min + 1 min even when configured shorter", async () => {
    const dir = await mkdtemp(join(tmpdir(), "opsdeck-dedupe-"));
    try {
      const redact = createRedactor();
      let offsetMs = 0;
      let runs = 0;
      const handler: Handler = {
        name: "status",
        summary: "counts runs",
        usage: ["/status"],
        prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
        permission: () => ({ key: "status", readOnly: true }),
        run: async () => {
          runs += 1;
          return { status: "info", title: "ok" };
        },
      };
      const router = createRouter({
        handlers: [handler],
        authorize: createAuthorize({ roles: { admin: ["slack:T1/U1"] }, rules: {} }),
        audit: createAuditLog(join(dir, "audit.jsonl"), redact),
        log: createLogger({ level: "warn", redact, destination: { write: () => undefined } }),
        metrics: createMetrics(),
        redact,
        store: await openStore(join(dir, "data")),
        dedupeMs: 60_000,
        clock: () => new Date(Date.now() + offsetMs),
      });
      const command: Command = {
        name: "status",
        args: [],
        text: "/status",
        actor: { platform: "slack", id: "T1/U1", name: "u1" },
        channelId: "CDEV",
        deliveryId: "slash:1.abc",
        respond: async () => undefined,
        update: async () => undefined,
      };
      await router.dispatch(command);
      offsetMs = 10.5 * 60_000;
      await router.dispatch(command);
      expect(runs).toBe(1);
      offsetMs = 11.5 * 60_000;
      await router.dispatch(command);
      expect(runs).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
