// Every alert target (Slack, Discord, Telegram, the log) with a planted secret: the real SDKs
// against the loopback fakes, through the one notifier that redacts. Callers pass raw replies.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAlertNotifier } from "../../src/bot/alert-notifier.js";
import { createDiscordAdapter } from "../../src/bot/discord/discord-adapter.js";
import { createBoltLogger } from "../../src/bot/slack/create-bolt-logger.js";
import { createSlackAlertTarget } from "../../src/bot/slack/create-slack-alert-target.js";
import { createTelegramAdapter } from "../../src/bot/telegram/telegram-adapter.js";
import { DiscordConfig } from "../../src/config/discord-config.js";
import { TelegramConfig } from "../../src/config/telegram-config.js";
import type { Reply } from "../../src/core/command.js";
import type { AlertTarget } from "../../src/core/notifier.js";
import { Secret } from "../../src/core/secret.js";
import { captureLog, type CapturedLog } from "../fakes/capture-log.js";
import { startFakeDiscord, type FakeDiscord } from "../fakes/fake-discord.js";
import { startFakeSlackApi, type FakeSlackApi } from "../fakes/fake-slack-api.js";
import { startFakeTelegramApi, type FakeTelegramApi } from "../fakes/fake-telegram-api.js";
import { openStore } from "../../src/store/store.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SLACK_TOKEN = "xoxb-1234567890-0987654321-alertRedactionTest";
const DISCORD_TOKEN = "MTEyMzQ1Njc4OTAxMjM0NTY3.GabcDE.fake-discord-bot-token-for-tests-0123456";
const TELEGRAM_TOKEN = "123456789:AAHfakeTelegramTokenForTests_0123456789ab";
/** A database password with JSON-special characters, as a backup job would hold it. */
const PLANTED = 'pg-Pa55"w\\ord-9f8e7d6c5b4a';
const b64 = Buffer.from(PLANTED).toString("base64");

/** A raw reply as a failing job would raise it: the secret plain, encoded, truncated and cut. */
const rawAlert: Reply = {
  status: "failure",
  title: `pre-backup failed: pg_dump: password ${PLANTED} rejected`,
  lines: [`dsn postgres://app:${encodeURIComponent(PLANTED)}@db:5432/app`, `token ${b64.slice(0, 20)}…`, `env ${JSON.stringify(PLANTED)}`],
  code: `Authorization: Basic ${Buffer.from(`app:${PLANTED}`).toString("base64")}`,
};

/** Every visible piece of the secret that must not reach a platform. */
const fragments = [PLANTED, PLANTED.slice(0, 12), PLANTED.slice(-12), b64.slice(0, 20), encodeURIComponent(PLANTED).slice(0, 14), JSON.stringify(PLANTED).slice(1, 15)];

describe("alert redaction at the notifier, every target", () => {
  let slack: FakeSlackApi;
  let discord: FakeDiscord;
  let telegram: FakeTelegramApi;
  let cap: CapturedLog;
  let dir: string;

  beforeAll(async () => {
    slack = await startFakeSlackApi({ botToken: SLACK_TOKEN });
    discord = await startFakeDiscord({ token: DISCORD_TOKEN, applicationId: "1100000000000000001", guildId: "1100000000000000002", channelId: "1100000000000000003" });
    telegram = await startFakeTelegramApi({ token: TELEGRAM_TOKEN });
    cap = captureLog([SLACK_TOKEN, DISCORD_TOKEN, TELEGRAM_TOKEN]);
    dir = mkdtempSync(join(tmpdir(), "opsdeck-alert-redaction-"));
  });

  afterAll(async () => {
    await slack?.close();
    await discord?.close();
    await telegram?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("no target receives the planted secret in any form, and each still gets the alert", async () => {
    cap.redact.add(new Secret(PLANTED));
    const store = await openStore(dir);
    const noDispatch = async (): Promise<Reply> => ({ status: "info", title: "unused" });
    const targets: AlertTarget[] = [
      { platform: "log", post: async (reply) => cap.log.warn({ alert: reply.title, lines: reply.lines, code: reply.code }, "alert") },
      createSlackAlertTarget({ botToken: new Secret(SLACK_TOKEN), channel: "CALERTS", apiUrl: slack.apiUrl, logger: createBoltLogger(cap.log) }),
      createDiscordAdapter({
        config: DiscordConfig.parse({ enabled: true, application_id: "1100000000000000001", guild_id: "1100000000000000002", alert_channel: "1100000000000000004", api_url: discord.apiUrl }),
        token: new Secret(DISCORD_TOKEN), dispatch: noDispatch, log: cap.log, store,
      }).alertTarget,
      createTelegramAdapter({
        config: TelegramConfig.parse({ enabled: true, api_root: telegram.apiRoot, alert_chat_id: -100999 }),
        token: new Secret(TELEGRAM_TOKEN), dispatch: noDispatch, log: cap.log, store,
      }).alertTarget,
    ];
    await createAlertNotifier(targets, { log: cap.log, redact: cap.redact, retries: 0 }).notify(rawAlert);

    const slackPosts = slack.callsOf("chat.postMessage");
    const discordPosts = discord.requests.filter((r) => r.method === "POST" && r.path === "/channels/1100000000000000004/messages");
    const telegramPosts = telegram.calls.filter((c) => c.method === "sendMessage");
    const alertLines = cap.lines.filter((l) => l.includes('"msg":"alert"'));
    expect(slackPosts).toHaveLength(1);
    expect(discordPosts).toHaveLength(1);
    expect(telegramPosts).toHaveLength(1);
    expect(alertLines).toHaveLength(1);

    const delivered: Record<string, string> = {
      slack: JSON.stringify(slackPosts[0]?.args),
      discord: JSON.stringify(discordPosts[0]?.body),
      telegram: JSON.stringify(telegramPosts[0]?.body),
      log: alertLines[0] ?? "",
    };
    for (const [platform, text] of Object.entries(delivered)) {
      expect(text, platform).toContain("pre-backup failed");
      expect(text, platform).toContain("[REDACTED]");
      // `text` is JSON, so the secret's `"` and `\` appear escaped: look for both spellings.
      for (const f of fragments) {
        expect(text.includes(f) || text.includes(JSON.stringify(f).slice(1, -1)), `${platform} leaked ${f}`).toBe(false);
      }
      expect(text, platform).not.toContain(Buffer.from(`app:${PLANTED}`).toString("base64"));
    }
    expect(slack.unexpected).toEqual([]);
    expect(discord.unexpected).toEqual([]);
    expect(telegram.unexpected).toEqual([]);
  });
});
