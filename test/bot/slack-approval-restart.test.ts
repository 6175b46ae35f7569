// A pending approval survives a restart and its ORIGINAL Slack message is still edited: the whole
// app (createApp) is built twice over the same data dir, each time with the real Slack HTTP adapter
// (Bolt app, our HTTP receiver) against the loopback fake Web API; the request message's channel and ts
// are persisted on the approval record, and the second process edits it with chat.update.
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { approvalRestartYaml, startWithAdapter } from "../support/approval-restart-app.js";
import { createSlackAdapter, type SlackAdapter } from "../../src/bot/slack/create-slack-adapter.js";
import { SlackConfig } from "../../src/config/slack-config.js";
import { Secret } from "../../src/core/secret.js";
import { slackSignedHeaders } from "../support/slack-signing.js";
import { startFakeSlackApi, type FakeSlackApi } from "../fakes/fake-slack-api.js";

const TEAM = "T0RESTART";
const SIGNING_SECRET = randomBytes(16).toString("hex");
const BOT_TOKEN = `xoxb-1234-5678-${randomBytes(12).toString("hex")}`;

describe("Slack: a pending approval across a restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-approval-restart-"));
  let fake: FakeSlackApi;
  const yaml = approvalRestartYaml(dir, { deployer: `slack:${TEAM}/UALICE`, approver: `slack:${TEAM}/UBOB` });

  async function start(): Promise<{ app: App; adapter: SlackAdapter; endpoint: string; stop(): Promise<void> }> {
    const config = SlackConfig.parse({ enabled: true, mode: "http", port: 0, host: "127.0.0.1", path: "/slack/events", alert_channel: "CALERTS", api_url: fake.apiUrl });
    const started = await startWithAdapter(yaml, (app) => createSlackAdapter({ config, secrets: { botToken: new Secret(BOT_TOKEN), signingSecret: new Secret(SIGNING_SECRET) }, dispatch: app.router.dispatch, log: app.log, redact: app.redact }));
    return { ...started, endpoint: `http://127.0.0.1:${started.adapter.port() ?? 0}/slack/events` };
  }

  async function post(endpoint: string, body: string): Promise<void> {
    const timestamp = Math.floor(Date.now() / 1000);
    const res = await fetch(endpoint, { method: "POST", headers: slackSignedHeaders(SIGNING_SECRET, timestamp, body), body });
    expect(res.status).toBe(200);
  }

  const slash = (command: string, text: string, user: string): string =>
    new URLSearchParams({ team_id: TEAM, team_domain: "test", channel_id: "CDEPLOY", channel_name: "deploys", user_id: user, user_name: user.toLowerCase(), command, text, api_app_id: "A0TEST", response_url: fake.responseUrl(`r-${randomBytes(4).toString("hex")}`), trigger_id: `${Date.now()}.1` }).toString();

  beforeAll(async () => {
    mkdirSync(join(dir, "prod"), { recursive: true });
    fake = await startFakeSlackApi({ botToken: BOT_TOKEN, teamId: TEAM });
  });

  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("after a restart, approval by a second person edits the original request message (chat.update with the stored channel and ts)", async () => {
    const first = await start();
    await post(first.endpoint, slash("/deploy", "prod sha-abc1234", "UALICE"));
    const request = await fake.waitFor("chat.update", (c) => /approval needed/.test(String(c.args["text"])));
    const posted = fake.callsOf("chat.postMessage").find((c) => c.args["channel"] === "CDEPLOY");
    const ts = (posted?.result as { ts?: string } | undefined)?.ts;
    expect(ts).toMatch(/^\d+\.\d+$/);
    expect(request.args).toMatchObject({ channel: "CDEPLOY", ts });
    const [record] = first.app.store.read().approvals;
    expect(record).toMatchObject({ kind: "deploy", env: "prod", status: "pending", message: { platform: "slack", channel: "CDEPLOY", id: ts } });
    await first.stop();

    // The second process: nothing carries over but the data dir.
    const second = await start();
    try {
      const before = fake.callsOf("chat.update").length;
      await post(second.endpoint, slash("/deploy", `approve ${record?.id ?? ""}`, "UBOB"));
      const edited = await fake.waitFor("chat.update", (c) => c.args["ts"] === ts && fake.callsOf("chat.update").indexOf(c) >= before && /approved/.test(String(c.args["text"])));
      expect(edited.args).toMatchObject({ channel: "CDEPLOY", ts });
      expect(String(edited.args["text"])).toMatch(/deploy sha-abc1234 to prod: approved by ubob/);
      expect(second.app.store.read().approvals[0]).toMatchObject({ status: "approved", decidedBy: `slack:${TEAM}/UBOB` });
      expect(fake.unexpected).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
