// A pending approval survives a restart and its ORIGINAL Telegram message is still edited: the whole
// app (createApp) is built twice over the same data dir, each time with the real telegraf adapter
// (long polling) against the loopback fake Bot API; the request message's chat id and message_id
// (from sendMessage) are persisted on the approval record, and the second process edits it with
// editMessageText.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { App } from "../../src/app.js";
import { approvalRestartYaml, startWithAdapter } from "../support/approval-restart-app.js";
import { createTelegramAdapter, type TelegramAdapter } from "../../src/bot/telegram/telegram-adapter.js";
import { TelegramConfig } from "../../src/config/telegram-config.js";
import { Secret } from "../../src/core/secret.js";
import { startFakeTelegramApi, type FakeTelegramApi, type RecordedCall } from "../fakes/fake-telegram-api.js";

const TOKEN = "123456789:AAHrestartRestartRestartRestart_0001";
const GROUP = { id: -1001234567890, type: "supergroup" as const };
const ALERT_CHAT = -1009999999999;
const alice = { id: 4242001, username: "alice", first_name: "Alice" };
const bob = { id: 4242002, username: "bob", first_name: "Bob" };

describe("Telegram: a pending approval across a restart", () => {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-telegram-restart-"));
  let fake: FakeTelegramApi;
  const yaml = approvalRestartYaml(dir, { deployer: `telegram:${alice.id}`, approver: `telegram:${bob.id}` });

  function start(): Promise<{ app: App; adapter: TelegramAdapter; stop(): Promise<void> }> {
    const config = TelegramConfig.parse({ enabled: true, api_root: fake.apiRoot, alert_chat_id: ALERT_CHAT });
    return startWithAdapter(yaml, (app) => createTelegramAdapter({ config, token: new Secret(TOKEN), dispatch: app.router.dispatch, log: app.log, store: app.store }));
  }

  const inGroup = (c: RecordedCall): boolean => Number(c.body.chat_id) === GROUP.id;

  beforeAll(async () => {
    mkdirSync(join(dir, "prod"), { recursive: true });
    fake = await startFakeTelegramApi({ token: TOKEN });
  });

  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("after a restart, approval by a second person edits the original request message (editMessageText with the stored chat id and message_id)", async () => {
    const first = await start();
    fake.queue(fake.textUpdate({ from: alice, chat: GROUP, text: "/deploy@opsdeck_bot prod sha-abc1234" }));
    const request = await fake.waitFor((c) => c.method === "editMessageText" && inGroup(c) && /approval needed/i.test(String(c.body.text)));
    const sent = fake.calls.find((c) => c.method === "sendMessage" && inGroup(c));
    expect(sent).toBeDefined();
    const messageId = request.body.message_id as number;
    expect(fake.messages.has(`${GROUP.id}:${messageId}`)).toBe(true);
    const [record] = first.app.store.read().approvals;
    expect(record).toMatchObject({ kind: "deploy", env: "prod", status: "pending", message: { platform: "telegram", channel: String(GROUP.id), id: String(messageId) } });
    await first.stop();

    // The second process: nothing carries over but the data dir.
    const second = await start();
    try {
      const before = fake.calls.length;
      fake.queue(fake.textUpdate({ from: bob, chat: GROUP, text: `/deploy approve ${record?.id ?? ""}` }));
      const edited = await fake.waitFor((c) => fake.calls.indexOf(c) >= before && c.method === "editMessageText" && c.body.message_id === messageId && /approved/.test(String(c.body.text)));
      expect(Number(edited.body.chat_id)).toBe(GROUP.id);
      expect(edited.body.parse_mode).toBe("HTML");
      expect(String(edited.body.text)).toMatch(/deploy sha-abc1234 to prod: approved by bob/);
      // The message itself now shows the decision (the fake applied the edit).
      expect(String(fake.messages.get(`${GROUP.id}:${messageId}`)?.text)).toMatch(/approved by bob/);
      expect(second.app.store.read().approvals[0]).toMatchObject({ status: "approved", decidedBy: `telegram:${bob.id}` });
      expect(fake.unexpected).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});
