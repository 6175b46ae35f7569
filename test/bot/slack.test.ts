// Drives the real Bolt app (with opsdeck's HTTP receiver, slack-front-receiver.ts) with signed requests, a real router, store, audit log
// and redactor; only the Slack Web API and response_url are a loopback fake.
import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSlackAdapter, type SlackAdapter } from "../../src/bot/slack/create-slack-adapter.js";
import { createSlackAlertTarget } from "../../src/bot/slack/create-slack-alert-target.js";
import { createBoltLogger } from "../../src/bot/slack/create-bolt-logger.js";
import { createAlertNotifier } from "../../src/bot/alert-notifier.js";
import { createRouter } from "../../src/bot/router.js";
import { SlackConfig } from "../../src/config/slack-config.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import { createAuthorize } from "../../src/core/authorize.js";
import type { Command, ProgressFn, Reply } from "../../src/core/command.js";
import { OpsError } from "../../src/core/errors.js";
import { createLogger } from "../../src/core/logger.js";
import { createMetrics } from "../../src/core/metrics.js";
import { createRedactor } from "../../src/core/redact.js";
import { Secret } from "../../src/core/secret.js";
import type { Handler } from "../../src/handlers/handler.js";
import { openStore } from "../../src/store/store.js";
import { startFakeSlackApi, type FakeSlackApi, type RecordedCall } from "../fakes/fake-slack-api.js";
import { startSlackHttpAdapter } from "../support/slack-http-adapter.js";
import { slackSignature } from "../support/slack-signing.js";

const TEAM = "T0TEST";
const SIGNING_SECRET = randomBytes(16).toString("hex");
const BOT_TOKEN = `xoxb-1234-5678-${randomBytes(12).toString("hex")}`;

interface Run {
  command: string;
  args: string[];
  actorId: string;
  at: number;
}

/** Resolvable gate: the preview handler waits on it before its "remote work". */
function gate(): { promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

type Block = { type: string; text?: { type: string; text: string }; fields?: Array<{ text: string }>; elements?: Array<Record<string, unknown>> };
const blocksOf = (call: RecordedCall): Block[] => call.args["blocks"] as Block[];
const blockOf = (call: RecordedCall, type: string): Block | undefined => blocksOf(call).find((b) => b.type === type);

describe("Slack adapter (real Bolt app, our HTTP receiver)", () => {
  let dir: string;
  let fake: FakeSlackApi;
  let adapter: SlackAdapter;
  let endpoint: string;
  const runs: Run[] = [];
  const events: string[] = [];
  const logLines: string[] = [];
  let previewGate = gate();

  const previewHandler: Handler = {
    name: "preview",
    summary: "preview environments",
    usage: ["/preview <branch>", "/preview destroy <branch>"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: (args) => ({ key: args[0] === "destroy" ? "preview destroy" : "preview", readOnly: false }),
    async run(command: Command, progress: ProgressFn): Promise<Reply> {
      runs.push({ command: command.name, args: command.args, actorId: command.actor.id, at: Date.now() });
      if (command.args[0] === "destroy") {
        await progress(`destroying ${command.args[1] ?? ""}`);
        return { status: "success", title: `Preview ${command.args[1] ?? ""} destroyed`, lines: [`by ${command.actor.name}`] };
      }
      await previewGate.promise;
      events.push("remote work");
      await progress("starting containers");
      return {
        status: "success",
        title: `Preview ${command.args[0] ?? ""} is up`,
        lines: ["https://preview-feature-x.example.test"],
        fields: [
          { label: "Branch", value: command.args[0] ?? "" },
          { label: "Expires", value: "in 3 days" },
        ],
        code: "line 1\nline 2",
        buttons: [
          { command: `/preview destroy ${command.args[0] ?? ""}`, label: "Destroy", style: "danger", confirm: "Delete the preview and its data?" },
          { command: `/status ${command.args[0] ?? ""}`, label: "Status" },
        ],
      };
    },
  };
  const statusHandler: Handler = {
    name: "status",
    summary: "echo for tests",
    usage: ["/status <text>"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: () => ({ key: "status", readOnly: true }),
    async run(command: Command): Promise<Reply> {
      runs.push({ command: command.name, args: command.args, actorId: command.actor.id, at: Date.now() });
      const said = command.args.join(" ");
      return { status: "info", title: `status for ${said}`, lines: [`you said: ${said}`], fields: [{ label: "Echo", value: said }], code: "x".repeat(5000) + said };
    },
  };
  const deployHandler: Handler = {
    name: "deploy",
    summary: "fails on purpose",
    usage: ["/deploy <env>"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: () => ({ key: "deploy", readOnly: true }),
    async run(command: Command): Promise<Reply> {
      runs.push({ command: command.name, args: command.args, actorId: command.actor.id, at: Date.now() });
      throw new OpsError("health_failed", "deploy to staging failed: health check timed out", "Look at the logs with /status staging.");
    },
  };

  const rollbackHandler: Handler = {
    name: "rollback",
    summary: "progresses, then fails",
    usage: ["/rollback <env>"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: () => ({ key: "rollback", readOnly: true }),
    async run(command: Command, progress: ProgressFn): Promise<Reply> {
      runs.push({ command: command.name, args: command.args, actorId: command.actor.id, at: Date.now() });
      await progress("stopping the new release");
      throw new OpsError("remote_failed", "rollback of prod failed: image v1 is gone", "Deploy a known good tag with /deploy prod <tag>.");
    },
  };

  const jobsHandler: Handler = {
    name: "jobs",
    summary: "many progress steps",
    usage: ["/jobs run <name>"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: () => ({ key: "jobs", readOnly: true }),
    async run(command: Command, progress: ProgressFn): Promise<Reply> {
      runs.push({ command: command.name, args: command.args, actorId: command.actor.id, at: Date.now() });
      for (let i = 1; i <= 8; i++) await progress(`step ${i} of 8`);
      return { status: "success", title: "job finished" };
    },
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "opsdeck-slack-"));
    fake = await startFakeSlackApi({ botToken: BOT_TOKEN, teamId: TEAM, notInChannel: ["CPRIV"] });
    const redact = createRedactor();
    const log = createLogger({ level: "debug", redact, destination: { write: (line: string) => void logLines.push(line) } });
    const store = await openStore(join(dir, "data"));
    const router = createRouter({
      handlers: [previewHandler, statusHandler, deployHandler, rollbackHandler, jobsHandler],
      authorize: createAuthorize({ roles: { admin: [`slack:${TEAM}/UADMIN`], deployer: [`slack:${TEAM}/UCLICK`], viewer: [`slack:${TEAM}/UVIEW`] }, rules: { preview: ["admin"], "preview destroy": ["deployer"] } }),
      audit: createAuditLog(join(dir, "audit.jsonl"), redact),
      log,
      metrics: createMetrics(),
      redact,
      store,
    });
    ({ adapter, endpoint } = await startSlackHttpAdapter({ apiUrl: fake.apiUrl, botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET, config: { alert_channel: "CALERTS" }, dispatch: router.dispatch, log, redact }));
  });

  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(fake.unexpected).toEqual([]);
  });

  const sign = (timestamp: number, body: string, secret = SIGNING_SECRET): string => slackSignature(secret, timestamp, body);

  async function post(body: string, opts: { timestamp?: number; secret?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const request = fetch(endpoint, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": String(timestamp),
        "x-slack-signature": sign(timestamp, body, opts.secret),
        ...opts.headers,
      },
      body,
    });
    // The ack must come well inside Slack's 3 s; failing fast here also catches an ack that
    // waits for the handler (which would otherwise just hang).
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("no HTTP response within Slack's 3 s: the ack waited for the work")), 2900));
    return Promise.race([request, timeout]);
  }

  function slashBody(command: string, text: string, user: string, responseId: string, channel = "CDEV"): string {
    return new URLSearchParams({
      token: "legacy-verification-token",
      team_id: TEAM,
      team_domain: "test",
      channel_id: channel,
      channel_name: "dev",
      user_id: user,
      user_name: `${user.toLowerCase()}-name`,
      command,
      text,
      api_app_id: "A0TEST",
      is_enterprise_install: "false",
      response_url: fake.responseUrl(responseId),
      trigger_id: `${Date.now()}.${randomBytes(6).toString("hex")}`,
    }).toString();
  }

  function actionBody(value: string, user: string, messageTs: string, channel = "CDEV"): string {
    const payload = {
      type: "block_actions",
      team: { id: TEAM, domain: "test" },
      user: { id: user, username: `${user.toLowerCase()}-name`, name: `${user.toLowerCase()}-name`, team_id: TEAM },
      api_app_id: "A0TEST",
      token: "legacy-verification-token",
      container: { type: "message", message_ts: messageTs, channel_id: channel, is_ephemeral: false },
      trigger_id: `${Date.now()}.${randomBytes(6).toString("hex")}`,
      channel: { id: channel, name: "dev" },
      message: { type: "message", ts: messageTs, text: "preview" },
      response_url: fake.responseUrl(`click-${randomBytes(4).toString("hex")}`),
      actions: [{ type: "button", action_id: "opsdeck.button.0", block_id: "b1", text: { type: "plain_text", text: "Destroy" }, value, action_ts: `${Date.now() / 1000}` }],
    };
    return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  }

  it("checks the bot token with auth.test at start", () => {
    expect(fake.callsOf("auth.test")).toHaveLength(1);
  });

  it("acks before the work starts, posts, then edits the same message with Block Kit; a button dispatches as the clicker", async () => {
    previewGate = gate();
    events.length = 0;
    const res = await post(slashBody("/preview", "feature-x", "UADMIN", "r-preview"));
    expect(res.status).toBe(200);
    events.push("ack");
    // The handler is blocked before its remote work: nothing posted yet beyond auth.test.
    expect(fake.callsOf("chat.postMessage").filter((c) => c.args["channel"] === "CDEV")).toHaveLength(0);
    previewGate.open();

    const first = await fake.waitFor("chat.postMessage", (c) => c.args["channel"] === "CDEV");
    const final = await fake.waitFor("chat.update", (c) => c.args["ts"] === first.result?.["ts"] && JSON.stringify(c.args["blocks"]).includes("is up"));
    expect(events).toEqual(["ack", "remote work"]);
    expect(runs.filter((r) => r.command === "preview")).toHaveLength(1);
    expect(runs.find((r) => r.command === "preview")?.actorId).toBe(`${TEAM}/UADMIN`);

    expect(blockOf(first, "header")?.text?.text).toContain("⏳");
    expect(blockOf(first, "section")?.text?.text).toBe("starting containers");

    expect(final.args["channel"]).toBe("CDEV");
    expect(final.args["text"]).toContain("Preview feature-x is up");
    const blocks = blocksOf(final);
    expect(blocks.map((b) => b.type)).toEqual(["header", "section", "section", "section", "actions"]);
    expect(blocks[0]?.text).toMatchObject({ type: "plain_text", text: "✅ Preview feature-x is up" });
    expect(blocks[1]?.text).toMatchObject({ type: "mrkdwn", text: "https://preview-feature-x.example.test", verbatim: true });
    expect(blocks[2]?.fields?.map((f) => f.text)).toEqual(["*Branch*\nfeature-x", "*Expires*\nin 3 days"]);
    expect(blocks[3]?.text?.text).toBe("```\nline 1\nline 2\n```");
    const [destroy, status] = blocks[4]?.elements ?? [];
    expect(destroy).toMatchObject({
      type: "button",
      value: "/preview destroy feature-x",
      style: "danger",
      text: { type: "plain_text", text: "Destroy" },
      confirm: { text: { type: "plain_text", text: "Delete the preview and its data?" }, confirm: { text: "Destroy" }, deny: { text: "Cancel" }, style: "danger" },
    });
    expect(status).toMatchObject({ type: "button", value: "/status feature-x" });
    expect(status).not.toHaveProperty("style");
    expect(status).not.toHaveProperty("confirm");

    // The clicker (a deployer) presses Destroy on that message.
    const ts = String(first.result?.["ts"]);
    const updatesBefore = fake.callsOf("chat.update").length;
    const click = await post(actionBody(String(destroy?.["value"]), "UCLICK", ts));
    expect(click.status).toBe(200);
    const destroyed = await fake.waitFor("chat.update", (c) => c.args["ts"] === ts && JSON.stringify(c.args["blocks"]).includes("destroyed"));
    const destroyRun = runs.find((r) => r.args[0] === "destroy");
    expect(destroyRun).toMatchObject({ command: "preview", args: ["destroy", "feature-x"], actorId: `${TEAM}/UCLICK` });
    expect(blockOf(destroyed, "header")?.text?.text).toBe("✅ Preview feature-x destroyed");
    expect(blockOf(destroyed, "section")?.text?.text).toBe("by uclick-name");
    // Edited in place: the progress edit and the final edit, no new message.
    expect(fake.callsOf("chat.update").length - updatesBefore).toBe(2);
    expect(fake.callsOf("chat.postMessage").filter((c) => c.args["channel"] === "CDEV")).toHaveLength(1);
  });

  it("a click by someone without the role changes nothing and answers only them", async () => {
    const first = fake.callsOf("chat.postMessage").find((c) => c.args["channel"] === "CDEV");
    const ts = String(first?.result?.["ts"]);
    const before = runs.length;
    const updates = fake.callsOf("chat.update").length;
    const res = await post(actionBody("/preview destroy feature-x", "UVIEW", ts));
    expect(res.status).toBe(200);
    const eph = await fake.waitFor("chat.postEphemeral", (c) => c.args["user"] === "UVIEW");
    expect(JSON.stringify(eph.args["blocks"])).toContain("not allowed");
    expect(runs.length).toBe(before);
    expect(fake.callsOf("chat.update").length).toBe(updates);
  });

  it("rejects a bad signature with 401 and runs nothing", async () => {
    const before = { runs: runs.length, calls: fake.calls.length };
    const res = await post(slashBody("/status", "hello", "UADMIN", "r-badsig"), { secret: "not-the-signing-secret" });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(runs.length).toBe(before.runs);
    expect(fake.calls.length).toBe(before.calls);
  });

  it("rejects a correctly signed but stale request (> 5 min) with 401 and runs nothing", async () => {
    const before = { runs: runs.length, calls: fake.calls.length };
    const res = await post(slashBody("/status", "hello", "UADMIN", "r-stale"), { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 200));
    expect(runs.length).toBe(before.runs);
    expect(fake.calls.length).toBe(before.calls);
  });

  it("runs a retried delivery (X-Slack-Retry-Num) once", async () => {
    const body = slashBody("/status", "retry-check", "UVIEW", "r-retry");
    const first = await post(body);
    expect(first.status).toBe(200);
    await fake.waitFor("chat.postMessage", (c) => JSON.stringify(c.args["blocks"]).includes("retry-check"));
    const again = await post(body, { headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } });
    expect(again.status).toBe(200);
    await expect.poll(() => logLines.some((l) => l.includes("duplicate delivery ignored")), { timeout: 3000 }).toBe(true);
    expect(runs.filter((r) => r.args[0] === "retry-check")).toHaveLength(1);
    expect(fake.callsOf("chat.postMessage").filter((c) => JSON.stringify(c.args["blocks"]).includes("retry-check"))).toHaveLength(1);
  });

  it("shows a failure only to the person who typed the command", async () => {
    const res = await post(slashBody("/deploy", "staging", "UVIEW", "r-fail", "CFAIL"));
    expect(res.status).toBe(200);
    const call = await fake.waitFor("response_url", (c) => c.responseId === "r-fail");
    expect(call.args["response_type"]).toBe("ephemeral");
    expect(blockOf(call, "header")?.text?.text).toBe("❌ deploy to staging failed: health check timed out");
    expect(blockOf(call, "context")?.elements?.[0]).toMatchObject({ type: "mrkdwn", text: "*Next:* Look at the logs with /status staging." });
    expect(fake.callsOf("chat.postMessage").filter((c) => c.args["channel"] === "CFAIL")).toHaveLength(0);
  });

  it("escapes user text so <!channel> never pings, and keeps the code block within Slack's limit", async () => {
    const res = await post(slashBody("/status", "<!channel> & <@U999|boss> <https://evil.test|click>", "UVIEW", "r-escape", "CESC"));
    expect(res.status).toBe(200);
    const call = await fake.waitFor("chat.postMessage", (c) => c.args["channel"] === "CESC");
    // Nothing Slack would parse as a mention or link survives anywhere in what was sent.
    expect(call.raw).not.toMatch(/<!channel>|<@U999|<https:/);
    expect(call.raw).not.toMatch(/%3C!channel%3E/i);
    expect(blockOf(call, "section")?.text?.text).toBe("you said: &lt;!channel&gt; &amp; &lt;@U999|boss&gt; &lt;https://evil.test|click&gt;");
    expect(blockOf(call, "header")?.text?.text).toContain("&lt;!channel&gt;");
    expect(String(call.args["text"])).toContain("&lt;!channel&gt;");
    const code = blocksOf(call).find((b) => b.text?.text.startsWith("```"));
    expect(code?.text?.text.length).toBeLessThanOrEqual(3000);
    expect(code?.text?.text).toMatch(/earlier characters not shown/);
    expect(code?.text?.text).toMatch(/&lt;https:\/\/evil\.test\|click&gt;\n```$/);
  });

  it("keeps a failure after public progress private: the channel message becomes a neutral line", async () => {
    const res = await post(slashBody("/rollback", "prod", "UVIEW", "r-rollback", "CROLL"));
    expect(res.status).toBe(200);
    const progress = await fake.waitFor("chat.postMessage", (c) => c.args["channel"] === "CROLL");
    expect(blockOf(progress, "section")?.text?.text).toBe("stopping the new release");
    const neutral = await fake.waitFor("chat.update", (c) => c.args["channel"] === "CROLL");
    expect(neutral.args["ts"]).toBe(progress.result?.["ts"]);
    expect(neutral.raw).not.toContain("image v1 is gone");
    expect(blockOf(neutral, "header")?.text?.text).toBe("❌ Failed — the details were shown only to the requester");
    const details = await fake.waitFor("response_url", (c) => c.responseId === "r-rollback");
    expect(details.args).toMatchObject({ response_type: "ephemeral", replace_original: false });
    expect(blockOf(details, "header")?.text?.text).toBe("❌ rollback of prod failed: image v1 is gone");
  });

  it("falls back to response_url when the bot is not in the channel, and edits through it", async () => {
    previewGate = gate();
    previewGate.open();
    const res = await post(slashBody("/preview", "feature-y", "UADMIN", "r-priv", "CPRIV"));
    expect(res.status).toBe(200);
    const first = await fake.waitFor("response_url", (c) => c.responseId === "r-priv");
    expect(first.args).toMatchObject({ response_type: "in_channel" });
    expect(blockOf(first, "section")?.text?.text).toBe("starting containers");
    const final = await fake.waitFor("response_url", (c) => c.responseId === "r-priv" && c.args["replace_original"] === true);
    expect(blockOf(final, "header")?.text?.text).toBe("✅ Preview feature-y is up");
    expect(fake.callsOf("chat.update").filter((c) => c.args["channel"] === "CPRIV")).toHaveLength(0);
  });

  it("answers text that is not a command line only to its author, without dispatching", async () => {
    const before = runs.length;
    const res = await post(slashBody("/status", "one\ntwo", "UVIEW", "r-newline", "CNL"));
    expect(res.status).toBe(200);
    const call = await fake.waitFor("response_url", (c) => c.responseId === "r-newline");
    expect(call.args["response_type"]).toBe("ephemeral");
    expect(blockOf(call, "header")?.text?.text).toContain("line break");
    expect(runs.length).toBe(before);
  });

  it("spends a response_url's five posts so that the final result always gets through", async () => {
    const res = await post(slashBody("/jobs", "run nightly", "UVIEW", "r-budget", "CPRIV"));
    expect(res.status).toBe(200);
    await fake.waitFor("response_url", (c) => c.responseId === "r-budget" && JSON.stringify(c.args["blocks"]).includes("job finished"));
    const posts = fake.callsOf("response_url").filter((c) => c.responseId === "r-budget");
    expect(posts.length).toBeLessThanOrEqual(5);
    expect(blockOf(posts[posts.length - 1] as RecordedCall, "header")?.text?.text).toBe("✅ job finished");
    expect(blockOf(posts[0] as RecordedCall, "section")?.text?.text).toBe("step 1 of 8");
  });

  it("never leaks the bot token into what it posts", async () => {
    const res = await post(slashBody("/status", BOT_TOKEN, "UVIEW", "r-secret", "CSEC"));
    expect(res.status).toBe(200);
    // A typed secret is refused before any handler runs; the refusal goes to the typist only.
    const call = await fake.waitFor("response_url", (c) => c.responseId === "r-secret" && c.raw.includes("not run"));
    expect(call.raw).not.toContain(BOT_TOKEN);
    expect(call.raw).not.toContain(BOT_TOKEN.slice(0, 12));
    expect(call.raw).toContain("contains a secret or a token");
  });
});

describe("Slack Socket Mode", () => {
  it("constructs with an app-level token and no HTTP port", () => {
    const redact = createRedactor();
    const log = createLogger({ level: "silent", redact });
    const adapter = createSlackAdapter({
      config: SlackConfig.parse({ enabled: true, mode: "socket" }),
      secrets: { botToken: new Secret("xoxb-socket-test-token"), appToken: new Secret("xapp-1-socket-test-token") },
      dispatch: async () => ({ status: "info", title: "unused" }),
      log,
      redact,
    });
    expect(adapter.port()).toBeUndefined();
    expect(adapter.alertTarget.platform).toBe("slack");
  });

  it("refuses socket mode without an app-level token", () => {
    const redact = createRedactor();
    expect(() =>
      createSlackAdapter({
        config: SlackConfig.parse({ enabled: true, mode: "socket" }),
        secrets: { botToken: new Secret("xoxb-socket-test-token") },
        dispatch: async () => ({ status: "info", title: "unused" }),
        log: createLogger({ level: "silent", redact }),
        redact,
      }),
    ).toThrow(/app-level token/);
  });
});

describe("alert notifier", () => {
  it("delivers to the healthy platform while the failing one is retried with back-off and logged", async () => {
    const healthy = await startFakeSlackApi({ botToken: BOT_TOKEN });
    const broken = await startFakeSlackApi({ botToken: BOT_TOKEN, failWithStatus: 500 });
    const lines: string[] = [];
    const redact = createRedactor();
    const log = createLogger({ level: "debug", redact, destination: { write: (l: string) => void lines.push(l) } });
    const logger = createBoltLogger(log);
    try {
      const good = createSlackAlertTarget({ botToken: new Secret(BOT_TOKEN), channel: "CALERTS", apiUrl: healthy.apiUrl, logger });
      const bad = { ...createSlackAlertTarget({ botToken: new Secret(BOT_TOKEN), channel: "CALERTS", apiUrl: broken.apiUrl, logger }), platform: "discord-down" };
      const notifier = createAlertNotifier([bad, good], { log, redact, retries: 3, minTimeoutMs: 150, maxTimeoutMs: 1000 });
      const started = Date.now();
      await notifier.notify({ status: "failure", title: "prod health check failing", lines: ["https://app.example.test is down"] });

      const delivered = healthy.callsOf("chat.postMessage");
      expect(delivered).toHaveLength(1);
      expect(delivered[0]?.args["channel"]).toBe("CALERTS");
      expect(JSON.stringify(delivered[0]?.args["blocks"])).toContain("prod health check failing");

      const attempts = broken.callsOf("chat.postMessage");
      expect(attempts).toHaveLength(4);
      // The healthy platform did not wait for the broken one's retries.
      expect((delivered[0]?.at ?? Infinity) - started).toBeLessThan((attempts[1]?.at ?? 0) - started);
      // Back-off: the gaps between attempts grow.
      const gaps = attempts.slice(1).map((a, i) => a.at - (attempts[i]?.at ?? 0));
      expect(gaps[0]).toBeGreaterThanOrEqual(140);
      expect(gaps[2]).toBeGreaterThan(gaps[0] ?? 0);

      const warns = lines.map((l) => JSON.parse(l) as { level: number; platform?: string; attempt?: number; msg: string }).filter((l) => l.platform === "discord-down");
      expect(warns.filter((l) => l.level === 40).map((l) => l.attempt)).toEqual([1, 2, 3, 4]);
      expect(warns.filter((l) => l.level === 50)).toHaveLength(1);
      expect(warns.find((l) => l.level === 50)?.msg).toMatch(/could not be posted to discord-down: gave up after 4 attempts/);
      expect(healthy.unexpected).toEqual([]);
      expect(broken.unexpected).toEqual([]);
    } finally {
      await healthy.close();
      await broken.close();
    }
  });

  it("does not retry a platform with no alert channel configured, and says how to fix it", async () => {
    const healthy = await startFakeSlackApi({ botToken: BOT_TOKEN });
    const lines: string[] = [];
    const redact = createRedactor();
    const log = createLogger({ level: "debug", redact, destination: { write: (l: string) => void lines.push(l) } });
    try {
      const unconfigured = createSlackAdapter({
        config: SlackConfig.parse({ enabled: true, mode: "http" }),
        secrets: { botToken: new Secret(BOT_TOKEN), signingSecret: new Secret(SIGNING_SECRET) },
        dispatch: async () => ({ status: "info", title: "unused" }),
        log,
        redact,
      }).alertTarget;
      const good = createSlackAlertTarget({ botToken: new Secret(BOT_TOKEN), channel: "CALERTS", apiUrl: healthy.apiUrl, logger: createBoltLogger(log) });
      const started = Date.now();
      await createAlertNotifier([unconfigured, good], { log, redact, retries: 5, minTimeoutMs: 1000 }).notify({ status: "warning", title: "backup late" });
      // One attempt, no back-off wait.
      expect(Date.now() - started).toBeLessThan(900);
      expect(healthy.callsOf("chat.postMessage")).toHaveLength(1);
      const errors = lines.map((l) => JSON.parse(l) as { level: number; msg: string }).filter((l) => l.level === 50);
      expect(errors).toHaveLength(1);
      expect(errors[0]?.msg).toMatch(/no Slack alert channel is configured — Set chat\.slack\.alert_channel/);
      expect(lines.filter((l) => l.includes("alert post to slack failed"))).toHaveLength(0);
    } finally {
      await healthy.close();
    }
  });
});
