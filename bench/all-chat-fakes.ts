// The three loopback chat fakes for `bench/startup-memory.ts --all-chat`: a chat section enabling
// Slack (HTTP mode, Web API = fake), Discord (REST + gateway = fake) and Telegram (long polling on the
// fake Bot API), the token variables, and a wait until each adapter has connected to its fake.
import { randomBytes } from "node:crypto";
import { createServer, type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { startFakeDiscord } from "../test/fakes/fake-discord.js";
import { startFakeSlackApi } from "../test/fakes/fake-slack-api.js";
import { startFakeTelegramApi } from "../test/fakes/fake-telegram-api.js";

export interface AllChatFakes {
  env: Record<string, string>;
  /** A `chat:` section for one run (a fresh Slack port); also marks where `connected` counts from. */
  chatSection(): Promise<string>;
  /** Resolves once, since the last `chatSection`, Slack saw auth.test, Discord an IDENTIFY and Telegram a getUpdates. */
  connected(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((res) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => res(port));
    });
  });
}

export async function startAllChatFakes(): Promise<AllChatFakes> {
  const slackToken = `xoxb-1111-2222-${randomBytes(12).toString("hex")}`;
  const discordToken = `MTEyMzQ1Njc4OTAxMjM0NTY3.GabcDE.${randomBytes(16).toString("hex")}`;
  const telegramToken = `123456:${randomBytes(16).toString("hex")}`;
  const ids = { applicationId: "100000000000000001", guildId: "100000000000000002", channelId: "100000000000000003" };
  const slack = await startFakeSlackApi({ botToken: slackToken, teamId: "TBENCH" });
  const discord = await startFakeDiscord({ token: discordToken, ...ids });
  const telegram = await startFakeTelegramApi({ token: telegramToken });
  let mark = { slack: 0, identifies: 0, telegram: 0 };
  const counts = () => ({
    slack: slack.callsOf("auth.test").length,
    identifies: discord.identifies,
    telegram: telegram.calls.filter((c) => c.method === "getUpdates").length,
  });
  return {
    env: { SLACK_BOT_TOKEN: slackToken, SLACK_SIGNING_SECRET: randomBytes(16).toString("hex"), DISCORD_BOT_TOKEN: discordToken, TELEGRAM_BOT_TOKEN: telegramToken },
    async chatSection() {
      mark = counts();
      const port = await freePort();
      return [
        "chat:",
        `  slack: { enabled: true, mode: http, host: 127.0.0.1, port: ${port}, path: /slack/events, api_url: "${slack.apiUrl}" }`,
        `  discord: { enabled: true, application_id: "${ids.applicationId}", guild_id: "${ids.guildId}", api_url: "${discord.apiUrl}" }`,
        `  telegram: { enabled: true, mode: polling, api_root: "${telegram.apiRoot}" }`,
        "",
      ].join("\n");
    },
    async connected(timeoutMs) {
      const t0 = Date.now();
      for (;;) {
        const c = counts();
        const missing = [c.slack > mark.slack ? "" : "slack auth.test", c.identifies > mark.identifies ? "" : "discord IDENTIFY", c.telegram > mark.telegram ? "" : "telegram getUpdates"].filter(Boolean);
        if (missing.length === 0) return;
        if (Date.now() - t0 > timeoutMs) throw new Error(`still waiting for ${missing.join(", ")}`);
        await sleep(50);
      }
    },
    async close() {
      await Promise.all([slack.close(), discord.close(), telegram.close()]);
    },
  };
}
