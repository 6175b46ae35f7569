// The end-to-end scenario on Discord and Telegram: `/preview <branch>` against the real
// sshd + dockerd (real preview ops and handler, real router), then the Destroy button with its
// confirmation, clicked by someone else. Only the chat APIs are fakes (loopback).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDiscordAdapter } from "../../src/bot/discord/discord-adapter.js";
import { createTelegramAdapter } from "../../src/bot/telegram/telegram-adapter.js";
import { DiscordConfig } from "../../src/config/discord-config.js";
import { TelegramConfig } from "../../src/config/telegram-config.js";
import { Secret } from "../../src/core/secret.js";
import { toSlug } from "../../src/ops/previews/slug.js";
import { startFakeDiscord } from "../fakes/fake-discord.js";
import { startFakeTelegramApi } from "../fakes/fake-telegram-api.js";
import { env, forceClean, leftovers, makeDocker, makeShell, runningSlugs } from "../previews/preview-support.js";
import { createPreviewApp } from "../support/preview-app.js";
import type { Harness } from "../support/router-harness.js";
import { uniqueName } from "../support/test-env.js";

const DISCORD_TOKEN = "MTEyMzQ1Njc4OTAxMjM0NTY3.GabcDE.fake-discord-bot-token-for-scenario-01";
const TELEGRAM_TOKEN = "123456789:AAHfakeTelegramTokenForScenario_01234567";
const shell = makeShell();
const docker = makeDocker(shell);
const baseDir = `${env.previewsDir}/${uniqueName("chat-scn")}`;
const slugs: string[] = [];

/** The app with previews on the test host (its router); alice and bob (on both platforms) may run and destroy previews. */
async function previewRouter(): Promise<Harness> {
  const { h } = await createPreviewApp({
    shell,
    docker,
    baseDir,
    healthTimeout: "25s",
    access: { roles: { deployer: ["discord:111111111111111111", "telegram:111"], admin: ["discord:222222222222222222", "telegram:222"] }, rules: { preview: ["deployer"] } },
  });
  for (const token of [DISCORD_TOKEN, TELEGRAM_TOKEN]) h.redact.add(token);
  return h;
}

afterAll(async () => {
  await forceClean(shell, docker, slugs, baseDir);
  await docker.close();
  await shell.close();
});

describe("chat scenario: /preview then Destroy (with confirmation) on the real host", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await previewRouter();
  });

  it("Discord", async () => {
    const APP = "1100000000000000011";
    const fake = await startFakeDiscord({ token: DISCORD_TOKEN, applicationId: APP, guildId: "1100000000000000012", channelId: "1100000000000000013" });
    const adapter = createDiscordAdapter({
      config: DiscordConfig.parse({ enabled: true, application_id: APP, guild_id: "1100000000000000012", api_url: fake.apiUrl }),
      token: new Secret(DISCORD_TOKEN),
      dispatch: (c) => h.router.dispatch(c),
      log: h.log,
      store: h.store,
    });
    try {
      await adapter.start();
      const branch = uniqueName("feature-dc");
      const slug = toSlug(branch);
      slugs.push(slug);
      const slash = fake.slashCommand({ user: { id: "111111111111111111", username: "alice" }, name: "preview", args: branch });
      fake.sendInteraction(slash);
      const up = await fake.waitFor((r) => r.method === "PATCH" && r.path.includes(String(slash.token)) && /is up/.test(r.body?.embeds?.[0]?.title ?? ""), 120_000);
      expect(fake.requests.find((r) => r.path.startsWith(`/interactions/${String(slash.id)}/`))?.body.type).toBe(5);
      // success, or warning (here: "pulling the image failed; the copy on the host was used" — no registry in tests).
      expect([0x57f287, 0xfee75c]).toContain(up.body.embeds[0].color);
      expect(up.body.embeds[0].fields.map((f: { name: string }) => f.name)).toEqual(expect.arrayContaining(["URL", "Expires", "Slug"]));
      expect(JSON.stringify(up.body)).not.toMatch(/DB_PASSWORD=|APP_SECRET=/);
      expect(await runningSlugs(docker)).toContain(slug);

      const buttons = up.body.components[0].components as Array<{ label: string; style: number; custom_id: string }>;
      const destroy = buttons.find((b) => b.label === "Destroy")!;
      expect(destroy.style).toBe(4);
      const messageId = fake.originalOf(String(slash.id))!;
      const click = fake.buttonClick({ user: { id: "222222222222222222", username: "bob" }, customId: destroy.custom_id, messageId });
      fake.sendInteraction(click);
      const prompt = await fake.waitFor((r) => r.path.startsWith(`/interactions/${String(click.id)}/`));
      expect(prompt.body.data.flags).toBe(64);
      const confirm = (prompt.body.data.components[0].components as Array<{ label: string; custom_id: string }>).find((b) => b.label === "Confirm")!;
      const confirmClick = fake.buttonClick({ user: { id: "222222222222222222", username: "bob" }, customId: confirm.custom_id, messageId: fake.originalOf(String(click.id))! });
      fake.sendInteraction(confirmClick);
      await fake.waitFor((r) => r.path.includes(String(confirmClick.token)) && /destroyed/.test(r.body?.embeds?.[0]?.title ?? ""), 120_000);
      expect(await leftovers(shell, docker, slug, `${baseDir}/${slug}`)).toEqual([]);
      expect(h.auditText()).toMatch(/"actor":"discord:222222222222222222".*"args":\["destroy"/);
      expect(fake.unexpected).toEqual([]);
    } finally {
      await adapter.stop();
      await fake.close();
    }
  }, 300_000);

  it("Telegram", async () => {
    const fake = await startFakeTelegramApi({ token: TELEGRAM_TOKEN });
    const adapter = createTelegramAdapter({
      config: TelegramConfig.parse({ enabled: true, api_root: fake.apiRoot }),
      token: new Secret(TELEGRAM_TOKEN),
      dispatch: (c) => h.router.dispatch(c),
      log: h.log,
      store: h.store,
    });
    const group = { id: -100777, type: "supergroup" as const };
    try {
      await adapter.start();
      const branch = uniqueName("feature-tg");
      const slug = toSlug(branch);
      slugs.push(slug);
      fake.queue(fake.textUpdate({ from: { id: 111, username: "alice", first_name: "Alice" }, chat: group, text: `/preview@opsdeck_bot ${branch}` }));
      const up = await fake.waitFor((c) => c.method === "editMessageText" && /is up/.test(String(c.body.text)), 120_000);
      expect(String(up.body.text)).toMatch(/^<b>(✅|⚠️) Preview /);
      expect(up.body.text).toContain("<b>URL:</b>");
      expect(await runningSlugs(docker)).toContain(slug);

      const keys = up.body.reply_markup.inline_keyboard.flat() as Array<{ text: string; callback_data: string }>;
      const destroy = keys.find((k) => k.text === "Destroy")!;
      fake.queue(fake.callbackUpdate({ from: { id: 222, username: "bob", first_name: "Bob" }, chatId: group.id, messageId: up.body.message_id, data: destroy.callback_data }));
      const prompt = await fake.waitFor((c) => c.method === "sendMessage" && /Destroy preview/.test(String(c.body.text)));
      const confirm = (prompt.body.reply_markup.inline_keyboard.flat() as Array<{ text: string; callback_data: string }>).find((k) => k.text === "Confirm")!;
      const promptMessage = [...fake.messages.values()].find((m) => /Destroy preview/.test(String(m.text)))!;
      fake.queue(fake.callbackUpdate({ from: { id: 222, username: "bob", first_name: "Bob" }, chatId: group.id, messageId: promptMessage.message_id, data: confirm.callback_data }));
      const done = await fake.waitFor((c) => c.method === "editMessageText" && /destroyed/.test(String(c.body.text)), 120_000);
      expect(done.body.message_id).toBe(promptMessage.message_id);
      expect(await leftovers(shell, docker, slug, `${baseDir}/${slug}`)).toEqual([]);
      expect(h.auditText()).toMatch(/"actor":"telegram:222".*"args":\["destroy"/);
      expect(fake.unexpected).toEqual([]);
    } finally {
      await adapter.stop();
      await fake.close();
    }
  }, 300_000);
});
