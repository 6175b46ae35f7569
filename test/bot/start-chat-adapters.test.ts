// startChatAdapters on a platform without an alert channel: it posts no alerts there, but the
// notifier can still edit that platform's earlier messages (an approval request after a restart).
// Real telegraf against the loopback fake Bot API.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlertNotifier } from "../../src/bot/alert-notifier.js";
import { startChatAdapters } from "../../src/bot/start-chat-adapters.js";
import { TelegramConfig } from "../../src/config/telegram-config.js";
import type { AlertTarget } from "../../src/core/notifier.js";
import { startFakeTelegramApi, type FakeTelegramApi } from "../fakes/fake-telegram-api.js";
import { createHarness, type Harness } from "../support/router-harness.js";

const TOKEN = "123456789:AAHstartChatStartChatStartChat_0002";
const GROUP = -1002222333444;

describe("startChatAdapters: a platform without an alert channel", () => {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-start-chat-"));
  let fake: FakeTelegramApi;
  let h: Harness;

  beforeAll(async () => {
    fake = await startFakeTelegramApi({ token: TOKEN });
    h = await createHarness({ handlers: [], dataDir: join(dir, "data") });
  });

  afterAll(async () => {
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("posts no alerts there, but edits the bot's earlier message by its stored reference", async () => {
    const alertTargets: AlertTarget[] = [];
    const chat = await startChatAdapters({
      chat: { telegram: TelegramConfig.parse({ enabled: true, api_root: fake.apiRoot }) },
      dispatch: h.router.dispatch,
      log: h.log,
      redact: h.redact,
      store: h.store,
      alertTargets,
      env: { TELEGRAM_BOT_TOKEN: TOKEN },
    });
    try {
      // A message the bot sent before the restart (as the fake keeps it).
      fake.messages.set(`${GROUP}:41`, { message_id: 41, chat: { id: GROUP, type: "supergroup" }, text: "approval needed", html: "approval needed" });
      const notifier = createAlertNotifier(alertTargets, { log: h.log, redact: h.redact, retries: 0 });
      await notifier.notify({ status: "warning", title: "an alert" });
      expect(fake.calls.filter((c) => c.method === "sendMessage")).toEqual([]);

      const edited = await notifier.edit?.({ platform: "telegram", channel: String(GROUP), id: "41" }, { status: "success", title: "approved by bob" });
      expect(edited).toBe(true);
      const call = fake.calls.find((c) => c.method === "editMessageText");
      expect(call?.body).toMatchObject({ chat_id: String(GROUP), message_id: 41, parse_mode: "HTML" });
      expect(String(fake.messages.get(`${GROUP}:41`)?.text)).toMatch(/approved by bob/);
      expect(fake.unexpected).toEqual([]);
    } finally {
      await chat.stop();
    }
  });
});
