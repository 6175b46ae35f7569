// Drives the real Bolt app in Socket Mode (SocketModeReceiver → @slack/socket-mode over undici's
// WebSocket) with a real router, store, audit log and redactor. Only Slack is fake: a loopback
// `apps.connections.open` + WebSocket (test/fakes/fake-slack-socket.ts) in front of the loopback
// Web API (test/fakes/fake-slack-api.ts), which checks the bot token on every other call.
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createSlackAdapter, type SlackAdapter } from "../../src/bot/slack/create-slack-adapter.js";
import { loadSlackSecrets, SlackConfig } from "../../src/config/slack-config.js";
import type { Command, ProgressFn, Reply } from "../../src/core/command.js";
import type { Handler } from "../../src/handlers/handler.js";
import { startFakeSlackApi, type FakeSlackApi, type RecordedCall } from "../fakes/fake-slack-api.js";
import { startFakeSlackSocket, type FakeSlackSocket, type SocketConnection } from "../fakes/fake-slack-socket.js";
import { createHarness, type Harness } from "../support/router-harness.js";

const TEAM = "T0SOCK";
const BOT_TOKEN = `xoxb-1234-5678-${randomBytes(12).toString("hex")}`;
const APP_TOKEN = `xapp-1-A0TEST-1234-${randomBytes(16).toString("hex")}`;
/** Slack's 3 s deadline, with room for a loaded CI machine; the ack itself takes a few ms. */
const ACK_BUDGET_MS = 1500;

interface Run {
  args: string[];
  actorId: string;
}

function gate(): { promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const blocksText = (call: RecordedCall): string => JSON.stringify(call.args["blocks"]);
type Element = Record<string, unknown>;
const buttonsOf = (call: RecordedCall): Element[] =>
  ((call.args["blocks"] as Array<{ type: string; elements?: Element[] }>).find((b) => b.type === "actions")?.elements ?? []) as Element[];

describe("Slack adapter in Socket Mode (real Bolt SocketModeReceiver)", () => {
  let api: FakeSlackApi;
  let socket: FakeSlackSocket;
  let harness: Harness;
  let adapter: SlackAdapter;
  let conn: SocketConnection;
  let startedBeforeHello: boolean | undefined;
  const runs: Run[] = [];
  let workGate = gate();
  let workStarted = false;

  const previewHandler: Handler = {
    name: "preview",
    summary: "preview environments",
    usage: ["/preview <branch>", "/preview destroy <branch>"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: (args) => ({ key: args[0] === "destroy" ? "preview destroy" : "preview", readOnly: false }),
    async run(command: Command, progress: ProgressFn): Promise<Reply> {
      runs.push({ args: command.args, actorId: command.actor.id });
      const branch = command.args[0] === "destroy" ? (command.args[1] ?? "") : (command.args[0] ?? "");
      if (command.args[0] === "destroy") {
        await progress(`destroying ${branch}`);
        return { status: "success", title: `Preview ${branch} destroyed`, lines: [`by ${command.actor.name}`] };
      }
      await workGate.promise;
      workStarted = true;
      await progress("starting containers");
      return {
        status: "success",
        title: `Preview ${branch} is up`,
        lines: [`https://preview-${branch}.example.test`],
        buttons: [{ command: `/preview destroy ${branch}`, label: "Destroy", style: "danger" }],
      };
    },
  };

  function slashPayload(text: string, user: string, triggerId = `${Date.now()}.${randomBytes(6).toString("hex")}`): Record<string, unknown> {
    return {
      token: "legacy-verification-token",
      team_id: TEAM,
      team_domain: "test",
      channel_id: "CDEV",
      channel_name: "dev",
      user_id: user,
      user_name: `${user.toLowerCase()}-name`,
      command: "/preview",
      text,
      api_app_id: "A0TEST",
      is_enterprise_install: "false",
      response_url: api.responseUrl(`r-${randomBytes(4).toString("hex")}`),
      trigger_id: triggerId,
    };
  }

  function clickPayload(value: string, user: string, messageTs: string): Record<string, unknown> {
    return {
      type: "block_actions",
      team: { id: TEAM, domain: "test" },
      user: { id: user, username: `${user.toLowerCase()}-name`, name: `${user.toLowerCase()}-name`, team_id: TEAM },
      api_app_id: "A0TEST",
      token: "legacy-verification-token",
      container: { type: "message", message_ts: messageTs, channel_id: "CDEV", is_ephemeral: false },
      trigger_id: `${Date.now()}.${randomBytes(6).toString("hex")}`,
      channel: { id: "CDEV", name: "dev" },
      message: { type: "message", ts: messageTs, text: "preview" },
      state: { values: {} },
      response_url: api.responseUrl(`click-${randomBytes(4).toString("hex")}`),
      actions: [{ type: "button", action_id: "opsdeck.button.0", block_id: "b1", text: { type: "plain_text", text: "Destroy" }, value, action_ts: `${Date.now() / 1000}` }],
    };
  }

  beforeAll(async () => {
    api = await startFakeSlackApi({ botToken: BOT_TOKEN, teamId: TEAM });
    socket = await startFakeSlackSocket({ appToken: APP_TOKEN, upstreamApiUrl: api.apiUrl });
    harness = await createHarness({
      handlers: [previewHandler],
      access: { roles: { admin: [`slack:${TEAM}/UADMIN`], deployer: [`slack:${TEAM}/UCLICK`] }, rules: { preview: ["admin"], "preview destroy": ["deployer"] } },
    });
    const config = SlackConfig.parse({ enabled: true, mode: "socket", app_token_env: "OPSDECK_TEST_SLACK_APP_TOKEN", api_url: socket.apiUrl });
    const secrets = loadSlackSecrets(config, { SLACK_BOT_TOKEN: BOT_TOKEN, OPSDECK_TEST_SLACK_APP_TOKEN: APP_TOKEN });
    adapter = createSlackAdapter({ config, secrets, dispatch: harness.router.dispatch, log: harness.log, redact: harness.redact });

    // start() resolves only once Slack's hello arrived on the socket.
    let started = false;
    const starting = adapter.start().then(() => {
      started = true;
    });
    conn = await socket.waitForConnection(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    startedBeforeHello = started;
    socket.hello(conn);
    await starting;
  });

  afterAll(async () => {
    workGate.open();
    if (adapter) await withTimeout(adapter.stop(), 5000, "adapter.stop() did not resolve").catch(() => undefined);
    await socket?.close();
    await api?.close();
    if (harness) await rm(harness.dataDir, { recursive: true, force: true });
  });

  afterEach(() => {
    expect(socket.unexpected).toEqual([]);
    expect(api.unexpected).toEqual([]);
  });

  it("checks the bot token, then opens the socket with the app-level token and waits for hello", () => {
    expect(api.callsOf("auth.test")).toHaveLength(1);
    expect(socket.opens).toEqual([`Bearer ${APP_TOKEN}`]);
    expect(startedBeforeHello).toBe(false);
    expect(conn.isOpen()).toBe(true);
    expect(adapter.port()).toBeUndefined();
    // No token ever reaches the log.
    expect(harness.logText()).not.toContain(APP_TOKEN);
    expect(harness.logText()).not.toContain(BOT_TOKEN);
  });

  let messageTs = "";
  let destroyValue = "";

  it("acks a slash command envelope before the work starts, then posts and edits the reply with the bot token", async () => {
    workGate = gate();
    workStarted = false;
    try {
      const ack = await socket.sendEnvelope(conn, "slash_commands", slashPayload("feature-x", "UADMIN"));
      expect(ack.ms).toBeLessThan(ACK_BUDGET_MS);
      expect(Object.keys(ack.message).sort()).toEqual(["envelope_id", "payload"]);
      expect(ack.message["payload"]).toEqual({});
      // The handler is held before its remote work: nothing was posted yet.
      expect(workStarted).toBe(false);
      expect(api.callsOf("chat.postMessage")).toHaveLength(0);
    } finally {
      // Also on failure: a handler left waiting would hold stop() (it waits for running commands).
      workGate.open();
    }

    const first = await api.waitFor("chat.postMessage", (c) => c.args["channel"] === "CDEV");
    expect(blocksText(first)).toContain("starting containers");
    messageTs = String(first.result?.["ts"]);
    const final = await api.waitFor("chat.update", (c) => c.args["ts"] === messageTs && blocksText(c).includes("is up"));
    expect(final.args["text"]).toContain("Preview feature-x is up");
    const [destroy] = buttonsOf(final);
    expect(destroy).toMatchObject({ type: "button", value: "/preview destroy feature-x", style: "danger" });
    destroyValue = String(destroy?.["value"]);
    expect(runs).toEqual([{ args: ["feature-x"], actorId: `${TEAM}/UADMIN` }]);
    // Replies went through the Web API with the bot token, never the app-level token.
    const replies = socket.forwarded.filter((f) => f.method.startsWith("chat."));
    expect(replies.map((f) => f.method)).toEqual(["chat.postMessage", "chat.update"]);
    expect(new Set(socket.forwarded.map((f) => f.authorization))).toEqual(new Set([`Bearer ${BOT_TOKEN}`]));
    expect(api.callsOf("response_url")).toHaveLength(0);
  });

  it("acks a Slack re-delivery of the same slash command but runs it once", async () => {
    const payload = slashPayload("feature-y", "UADMIN");
    workGate = gate();
    workGate.open();
    await socket.sendEnvelope(conn, "slash_commands", payload);
    await api.waitFor("chat.update", (c) => blocksText(c).includes("Preview feature-y is up"));
    const ack = await socket.sendEnvelope(conn, "slash_commands", payload, { retryAttempt: 1 });
    expect(ack.message["payload"]).toEqual({});
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(runs.filter((r) => r.args[0] === "feature-y")).toHaveLength(1);
    expect(api.callsOf("chat.postMessage").filter((c) => blocksText(c).includes("feature-y"))).toHaveLength(1);
  });

  it("acks an interactive envelope for a button click and dispatches the button's command as the clicker", async () => {
    const updatesBefore = api.callsOf("chat.update").length;
    const ack = await socket.sendEnvelope(conn, "interactive", clickPayload(destroyValue, "UCLICK", messageTs));
    expect(ack.ms).toBeLessThan(ACK_BUDGET_MS);
    expect(ack.message["payload"]).toEqual({});
    const destroyed = await api.waitFor("chat.update", (c) => c.args["ts"] === messageTs && blocksText(c).includes("destroyed"));
    expect(destroyed.args["channel"]).toBe("CDEV");
    expect(blocksText(destroyed)).toContain("by uclick-name");
    expect(runs.at(-1)).toEqual({ args: ["destroy", "feature-x"], actorId: `${TEAM}/UCLICK` });
    // Edited in place (progress, then result); no new message.
    expect(api.callsOf("chat.update").length - updatesBefore).toBe(2);
    expect(api.callsOf("chat.postMessage").filter((c) => blocksText(c).includes("feature-x"))).toHaveLength(1);
  });

  it("reconnects through a fresh apps.connections.open when Slack sends disconnect, and keeps serving", async () => {
    socket.disconnect(conn, "refresh_requested");
    expect(await withTimeout(conn.closed, 5000, "the client did not close the socket after disconnect")).toMatchObject({ code: 1000 });
    // The SDK waits clientPingTimeout (5 s, not configurable through Bolt's App) before reconnecting.
    const next = await socket.waitForConnection(2, 9000);
    expect(socket.opens).toEqual([`Bearer ${APP_TOKEN}`, `Bearer ${APP_TOKEN}`]);
    expect(next.ticket).not.toBe(conn.ticket);
    socket.hello(next);
    conn = next;
    workGate = gate();
    workGate.open();
    const ack = await socket.sendEnvelope(conn, "slash_commands", slashPayload("feature-z", "UADMIN"));
    expect(ack.ms).toBeLessThan(ACK_BUDGET_MS);
    await api.waitFor("chat.update", (c) => blocksText(c).includes("Preview feature-z is up"));
  }, 15_000);

  it("stop() closes the socket with a normal closure and does not reconnect", async () => {
    await withTimeout(adapter.stop(), 5000, "adapter.stop() did not resolve");
    expect(await withTimeout(conn.closed, 5000, "the socket was not closed")).toMatchObject({ code: 1000 });
    // disconnect() sets the SDK's shuttingDown flag, so no reconnect is scheduled at all (one would
    // only fire after 5 s; the short wait catches an immediate one, the clean exit a pending one).
    const opens = socket.opens.length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(socket.opens).toHaveLength(opens);
    expect(socket.connections.filter((c) => c.isOpen())).toHaveLength(0);
  });
});
