// The same scenario on every front end — console, Slack, Discord, Telegram — against the real
// sshd + dockerd: `/preview <branch>` brings a preview up, `/preview destroy <slug>` answers with
// a danger button (with a confirmation), and clicking that button through the platform removes
// everything. The real SDKs (Bolt, discord.js, telegraf) talk to the loopback fakes in test/fakes;
// one real router, store and preview handler serve all four, as in one opsdeck process.
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { PassThrough, Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runInteractive } from "../../src/bot/console/console-adapter.js";
import { createDiscordAdapter, type DiscordAdapter } from "../../src/bot/discord/discord-adapter.js";
import { STATUS_COLOR } from "../../src/bot/discord/render-discord-reply.js";
import { createSlackAdapter, type SlackAdapter } from "../../src/bot/slack/create-slack-adapter.js";
import { createTelegramAdapter, type TelegramAdapter } from "../../src/bot/telegram/telegram-adapter.js";
import { DiscordConfig } from "../../src/config/discord-config.js";
import { SlackConfig } from "../../src/config/slack-config.js";
import { TelegramConfig } from "../../src/config/telegram-config.js";
import { Secret } from "../../src/core/secret.js";
import { startFakeDiscord, type FakeDiscord, type RecordedRequest } from "../fakes/fake-discord.js";
import { startFakeSlackApi, type FakeSlackApi, type RecordedCall } from "../fakes/fake-slack-api.js";
import { parseTelegramHtml, startFakeTelegramApi, type FakeTelegramApi } from "../fakes/fake-telegram-api.js";
import { forceClean, leftovers, makeDocker, makeShell } from "../previews/preview-support.js";
import { uniqueName } from "../support/test-env.js";
import { slackSignedHeaders } from "../support/slack-signing.js";
import { makeFrontEndRig, readCredentials, waitUntil, type FrontEndRig } from "./front-end-rig.js";

const SLACK_TEAM = "T0E2E";
const SLACK_USER = "UDEV";
const SLACK_CHANNEL = "CE2E";
const SLACK_BOT_TOKEN = `xoxb-2222-3333-${randomBytes(12).toString("hex")}`;
const SLACK_SIGNING_SECRET = randomBytes(16).toString("hex");
const DISCORD_TOKEN = `MTIzNDU2Nzg5MDEyMzQ1Njc4.Gxyz12.${randomBytes(16).toString("hex")}`;
const DISCORD_APP = "1200000000000000001";
const DISCORD_GUILD = "1200000000000000002";
const DISCORD_CHANNEL = "1200000000000000003";
const discordDev = { id: "333333333333333333", username: "dev" };
const TELEGRAM_TOKEN = `424242:AAH${randomBytes(16).toString("hex")}`;
const TELEGRAM_GROUP = { id: -100700800, type: "supergroup" as const };
const telegramDev = { id: 4242, username: "dev", first_name: "Dev" };

const shell = makeShell();
const docker = makeDocker(shell);
const slugs: string[] = [];
/** Every credential generated for any preview of this file. */
const credentials: string[] = [];
let rig: FrontEndRig;

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- recorded platform JSON, inspected structurally

/** A fresh branch per front end; it is already a valid slug, so the slug equals the branch. */
function newBranch(frontEnd: string): string {
  const branch = uniqueName(`feature-x-${frontEnd}`);
  slugs.push(branch);
  return branch;
}

const urlOf = (slug: string): string => `http://preview-${slug}.preview.test:8080`;
const destroyCommand = (slug: string): string => `/preview destroy ${slug} --yes`;
/**
 * A deploy reply is `success`, or `warning` when something did not stop it — here always, as no
 * registry is reachable and the image pull falls back to the local copy (a "Note:" line says so).
 */
const UP_ICON = "(✅|⚠️)";
const upTitle = (slug: string): RegExp => new RegExp(`^${UP_ICON} Preview ${slug} is up: ${urlOf(slug).replace(/[.]/g, "\\.")}$`);

/** Read the credentials while the preview is up; afterwards nothing recorded may contain them. */
async function remember(slug: string): Promise<void> {
  credentials.push(...(await readCredentials(shell, rig, slug)));
}

async function expectGone(slug: string): Promise<void> {
  expect(await leftovers(shell, docker, slug, `${rig.baseDir}/${slug}`)).toEqual([]);
}

function expectNoCredentialIn(what: string, text: string): void {
  expect(credentials.length).toBeGreaterThan(0);
  for (const secret of credentials) {
    if (text.includes(secret)) throw new Error(`a generated credential appears in ${what}`);
  }
}

beforeAll(async () => {
  rig = await makeFrontEndRig({
    shell,
    docker,
    access: {
      roles: { previewer: [`slack:${SLACK_TEAM}/${SLACK_USER}`, `discord:${discordDev.id}`, `telegram:${telegramDev.id}`, "console:local"] },
      rules: { preview: ["previewer"] },
    },
  });
});

afterAll(async () => {
  if (rig) await forceClean(shell, docker, slugs, rig.baseDir);
  await docker.close();
  await shell.close();
});

describe("the preview scenario on all four front ends (real sshd + dockerd)", () => {
  it("console: /preview, then /preview destroy and the numbered danger choice confirmed with y", async () => {
    const slug = newBranch("console");
    const input = new PassThrough();
    let out = "";
    const output = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const session = runInteractive({ dispatch: rig.h.router.dispatch, user: "local", input, output });
    const after = (mark: number, needle: string | RegExp): string | undefined => {
      const tail = out.slice(mark);
      return (typeof needle === "string" ? tail.includes(needle) : needle.test(tail)) ? tail : undefined;
    };
    try {
      let mark = out.length;
      input.write(`/preview ${slug}\n`);
      const up = await waitUntil("the console deploy reply", () => after(mark, new RegExp(`Preview ${slug} is up.*\n(.*\n)*.*\\[2\\]`)));
      expect(up).toMatch(new RegExp(`^(✔|⚠) Preview ${slug} is up: `, "m"));
      expect(up).toContain(`[/preview ${slug}] … Preview ${slug}: `); // progress lines, naming their command, were printed first
      expect(up).toContain(urlOf(slug));
      expect(up).toContain(`[1] Destroy  (${destroyCommand(slug)})`);
      expect(up).toContain(`[2] Extend 1d  (/preview extend ${slug} 1d)`);
      await remember(slug);

      mark = out.length;
      input.write(`/preview destroy ${slug}\n`);
      const asked = await waitUntil("the console destroy question", () => after(mark, /\[1\] Destroy .*\n/));
      expect(asked).toContain(`⚠ Destroy preview ${slug}?`);
      expect(asked).toContain(`[1] Destroy ${slug}  (${destroyCommand(slug)})`);
      expect(await docker.listByLabel(`opsdeck.preview=${slug}`, { runningOnly: true })).not.toHaveLength(0);

      mark = out.length;
      input.write("1\n");
      await waitUntil("the console confirmation prompt", () => after(mark, "Type y to confirm."));
      expect(out.slice(mark)).toContain(`Destroy preview ${slug} and delete its data? Type y to confirm.`);
      mark = out.length;
      input.write("y\n");
      const done = await waitUntil("the console destroy result", () => after(mark, `✔ Preview ${slug} destroyed`));
      expect(done).not.toContain("✖");
    } finally {
      input.end();
      await session;
    }
    await expectGone(slug);
    expectNoCredentialIn("the console output", out);
  });

  describe("Slack (real Bolt HTTP receiver, signed requests)", () => {
    let fake: FakeSlackApi;
    let adapter: SlackAdapter;
    let endpoint: string;

    beforeAll(async () => {
      fake = await startFakeSlackApi({ botToken: SLACK_BOT_TOKEN, teamId: SLACK_TEAM });
      adapter = createSlackAdapter({
        config: SlackConfig.parse({ enabled: true, mode: "http", host: "127.0.0.1", port: 0, path: "/slack/events", api_url: fake.apiUrl }),
        secrets: { botToken: new Secret(SLACK_BOT_TOKEN), signingSecret: new Secret(SLACK_SIGNING_SECRET) },
        dispatch: rig.h.router.dispatch,
        log: rig.h.log,
        redact: rig.h.redact,
      });
      await adapter.start();
      endpoint = `http://127.0.0.1:${adapter.port() ?? 0}/slack/events`;
    });

    afterAll(async () => {
      await adapter?.stop();
      await fake?.close();
    });

    async function post(body: string): Promise<number> {
      const timestamp = Math.floor(Date.now() / 1000);
      const res = await fetch(endpoint, {
        method: "POST",
        headers: slackSignedHeaders(SLACK_SIGNING_SECRET, timestamp, body),
        body,
        signal: AbortSignal.timeout(2900), // Slack's 3 s ack deadline
      });
      await res.text();
      return res.status;
    }

    const slash = (text: string, responseId: string): string =>
      new URLSearchParams({
        token: "legacy-verification-token",
        team_id: SLACK_TEAM,
        team_domain: "e2e",
        channel_id: SLACK_CHANNEL,
        channel_name: "dev",
        user_id: SLACK_USER,
        user_name: "dev",
        command: "/preview",
        text,
        api_app_id: "A0E2E",
        is_enterprise_install: "false",
        response_url: fake.responseUrl(responseId),
        trigger_id: `${Date.now()}.${randomBytes(6).toString("hex")}`,
      }).toString();

    /** A click on a button of an ephemeral message (Slack sends no `message` then, only the container). */
    const click = (button: Json, responseId: string): string =>
      new URLSearchParams({
        payload: JSON.stringify({
          type: "block_actions",
          team: { id: SLACK_TEAM, domain: "e2e" },
          user: { id: SLACK_USER, username: "dev", name: "dev", team_id: SLACK_TEAM },
          api_app_id: "A0E2E",
          token: "legacy-verification-token",
          container: { type: "message", message_ts: `${Math.floor(Date.now() / 1000)}.000300`, channel_id: SLACK_CHANNEL, is_ephemeral: true },
          trigger_id: `${Date.now()}.${randomBytes(6).toString("hex")}`,
          channel: { id: SLACK_CHANNEL, name: "dev" },
          response_url: fake.responseUrl(responseId),
          actions: [{ type: "button", action_id: button["action_id"], block_id: "b1", text: button["text"], value: button["value"], style: button["style"], action_ts: `${Date.now() / 1000}` }],
        }),
      }).toString();

    const blocks = (call: RecordedCall): Json[] => call.args["blocks"] as Json[];
    const has = (call: RecordedCall, text: string): boolean => JSON.stringify(call.args["blocks"] ?? []).includes(text);

    it("/preview, then /preview destroy answers privately with a danger button; its click removes everything", async () => {
      const slug = newBranch("slack");
      expect(await post(slash(slug, `up-${slug}`))).toBe(200);
      const first = await fake.waitFor("chat.postMessage", (c) => c.args["channel"] === SLACK_CHANNEL && has(c, slug), 10_000);
      expect(blocks(first)[0]?.["text"]?.["text"]).toMatch(/^⏳/);
      const up = await fake.waitFor("chat.update", (c) => c.args["ts"] === first.result?.["ts"] && has(c, "is up"), 90_000);

      const upBlocks = blocks(up);
      expect(upBlocks[0]).toMatchObject({ type: "header", text: { type: "plain_text" } });
      expect(upBlocks[0]?.["text"]?.["text"]).toMatch(upTitle(slug));
      const fields = upBlocks.filter((b) => b["type"] === "section" && Array.isArray(b["fields"])).flatMap((b) => (b["fields"] as Json[]).map((f) => String(f["text"])));
      expect(fields).toContain(`*URL*\n${urlOf(slug)}`);
      expect(fields).toContain(`*Slug*\n${slug}`);
      const upActions = upBlocks.find((b) => b["type"] === "actions")?.["elements"] as Json[];
      expect(upActions[0]).toMatchObject({ type: "button", style: "danger", value: destroyCommand(slug), confirm: { style: "danger", deny: { text: "Cancel" } } });
      await remember(slug);

      // /preview destroy: a question only the requester sees, through the slash command's response_url.
      expect(await post(slash(`destroy ${slug}`, `ask-${slug}`))).toBe(200);
      const asked = await fake.waitFor("response_url", (c) => c.responseId === `ask-${slug}`, 10_000);
      expect(asked.args).toMatchObject({ response_type: "ephemeral", replace_original: false });
      expect(blocks(asked)[0]).toMatchObject({ type: "header", text: { text: `⚠️ Destroy preview ${slug}?` } });
      const actions = blocks(asked).find((b) => b["type"] === "actions")?.["elements"] as Json[];
      expect(actions).toHaveLength(1);
      const danger = actions[0] as Json;
      expect(danger).toMatchObject({
        type: "button",
        style: "danger",
        value: destroyCommand(slug),
        text: { type: "plain_text", text: `Destroy ${slug}` },
        confirm: {
          title: { type: "plain_text" },
          text: { type: "plain_text", text: `Destroy preview ${slug} and delete its data?` },
          confirm: { type: "plain_text" },
          deny: { type: "plain_text", text: "Cancel" },
          style: "danger",
        },
      });
      // The dialog's confirm button repeats the label, cut to Slack's 30 characters.
      expect(`Destroy ${slug}`.startsWith(String(danger["confirm"]["confirm"]["text"]).replace(/…$/, ""))).toBe(true);
      expect(String(danger["confirm"]["confirm"]["text"]).length).toBeLessThanOrEqual(30);
      expect(await docker.listByLabel(`opsdeck.preview=${slug}`, { runningOnly: true })).not.toHaveLength(0);

      // Slack shows the confirm dialog itself; after "Destroy" it sends block_actions.
      expect(await post(click(danger, `click-${slug}`))).toBe(200);
      const done = await fake.waitFor("response_url", (c) => c.responseId === `click-${slug}` && has(c, "destroyed"), 90_000);
      expect(done.args["replace_original"]).toBe(true);
      expect(blocks(done)[0]).toMatchObject({ type: "header", text: { text: `✅ Preview ${slug} destroyed` } });
      await expectGone(slug);

      expect(fake.unexpected).toEqual([]);
      expectNoCredentialIn("what the fake Slack API recorded", JSON.stringify(fake.calls));
    });
  });

  describe("Discord (real discord.js client, fake REST + gateway)", () => {
    let fake: FakeDiscord;
    let adapter: DiscordAdapter;

    beforeAll(async () => {
      fake = await startFakeDiscord({ token: DISCORD_TOKEN, applicationId: DISCORD_APP, guildId: DISCORD_GUILD, channelId: DISCORD_CHANNEL });
      rig.h.redact.add(DISCORD_TOKEN);
      adapter = createDiscordAdapter({
        config: DiscordConfig.parse({ enabled: true, application_id: DISCORD_APP, guild_id: DISCORD_GUILD, api_url: fake.apiUrl }),
        token: new Secret(DISCORD_TOKEN),
        dispatch: rig.h.router.dispatch,
        log: rig.h.log,
        store: rig.h.store,
        readyTimeoutMs: 10_000,
      });
      await adapter.start();
    });

    afterAll(async () => {
      await adapter?.stop();
      await fake?.close();
    });

    const webhookOf = (payload: Json): string => `/webhooks/${DISCORD_APP}/${String(payload["token"])}`;
    const titleOf = (r: RecordedRequest): string => String(r.body?.embeds?.[0]?.title ?? r.body?.data?.embeds?.[0]?.title ?? "");
    const buttonsOf = (components: Json[] | undefined): Json[] => (components ?? []).flatMap((row) => row["components"] as Json[]);

    it("/preview, then /preview destroy answers privately with a danger button; its click (and Confirm) removes everything", async () => {
      const slug = newBranch("discord");
      const deploy = fake.slashCommand({ user: discordDev, name: "preview", args: slug });
      fake.sendInteraction(deploy);
      const up = await fake.waitFor((r) => r.method === "PATCH" && r.path === `${webhookOf(deploy)}/messages/@original` && titleOf(r).includes("is up"), 90_000);
      const callbacks = fake.requests.filter((r) => r.path.startsWith(`/interactions/${String(deploy["id"])}/`));
      expect(callbacks.map((r) => r.body)).toEqual([{ type: 5, data: { flags: 0 } }]);

      const embed = up.body.embeds[0] as Json;
      expect(embed["title"]).toMatch(upTitle(slug));
      expect(embed["color"]).toBe(String(embed["title"]).startsWith("✅") ? STATUS_COLOR.success : STATUS_COLOR.warning);
      expect(embed["fields"]).toContainEqual(expect.objectContaining({ name: "URL", value: urlOf(slug) }));
      const upButtons = buttonsOf(up.body.components);
      expect(upButtons.map((b) => [b["label"], b["style"]])).toEqual([
        ["Destroy", 4],
        ["Extend 1d", 2],
      ]);
      expect(up.body.allowed_mentions).toEqual({ parse: [] });
      await remember(slug);

      // /preview destroy: the deferred reply is replaced by an ephemeral follow-up with the button.
      const ask = fake.slashCommand({ user: discordDev, name: "preview", args: `destroy ${slug}` });
      fake.sendInteraction(ask);
      const asked = await fake.waitFor((r) => r.method === "POST" && r.path === webhookOf(ask) && titleOf(r).includes("Destroy preview"), 10_000);
      expect(asked.body.flags).toBe(64);
      expect(asked.body.embeds[0]).toMatchObject({ title: `⚠️ Destroy preview ${slug}?`, color: STATUS_COLOR.warning });
      const askButtons = buttonsOf(asked.body.components);
      expect(askButtons).toHaveLength(1);
      expect(askButtons[0]).toMatchObject({ type: 2, style: 4, label: `Destroy ${slug}` });
      expect(String(askButtons[0]?.["custom_id"])).toMatch(/^od:[A-Za-z0-9_-]{16}$/);
      const askMessage = [...fake.messages.values()].find((m) => buttonsOf(m["components"] as Json[]).some((b) => b["custom_id"] === askButtons[0]?.["custom_id"]) && (Number(m["flags"]) & 64) === 64);
      expect(askMessage).toBeDefined();
      expect(await docker.listByLabel(`opsdeck.preview=${slug}`, { runningOnly: true })).not.toHaveLength(0);

      // Click the danger button: Discord has no confirm dialog, so opsdeck asks privately first.
      const pressed = fake.buttonClick({ user: discordDev, customId: String(askButtons[0]?.["custom_id"]), messageId: String(askMessage?.["id"]) });
      fake.sendInteraction(pressed);
      const prompt = await fake.waitFor((r) => r.method === "POST" && r.path.startsWith(`/interactions/${String(pressed["id"])}/`), 10_000);
      expect(prompt.body).toMatchObject({ type: 4, data: { flags: 64 } });
      expect(titleOf(prompt)).toContain(`Destroy preview ${slug} and delete its data?`);
      const promptButtons = buttonsOf(prompt.body.data.components);
      expect(promptButtons.map((b) => [b["label"], b["style"]])).toEqual([
        ["Confirm", 4],
        ["Cancel", 2],
      ]);

      const confirm = fake.buttonClick({ user: discordDev, customId: String(promptButtons[0]?.["custom_id"]), messageId: String(fake.originalOf(String(pressed["id"]))) });
      fake.sendInteraction(confirm);
      const done = await fake.waitFor((r) => (r.method === "PATCH" || r.method === "POST") && r.path.startsWith(webhookOf(confirm)) && titleOf(r).includes("destroyed"), 90_000);
      expect(done.body.embeds[0]).toMatchObject({ title: `✅ Preview ${slug} destroyed`, color: STATUS_COLOR.success });
      await expectGone(slug);

      expect(fake.unexpected).toEqual([]);
      expectNoCredentialIn("what the fake Discord recorded", JSON.stringify(fake.requests) + JSON.stringify([...fake.messages.values()]));
    });
  });

  describe("Telegram (real telegraf, long polling against a fake Bot API)", () => {
    let fake: FakeTelegramApi;
    let adapter: TelegramAdapter;

    beforeAll(async () => {
      fake = await startFakeTelegramApi({ token: TELEGRAM_TOKEN });
      rig.h.redact.add(TELEGRAM_TOKEN);
      adapter = createTelegramAdapter({
        config: TelegramConfig.parse({ enabled: true, api_root: fake.apiRoot }),
        token: new Secret(TELEGRAM_TOKEN),
        dispatch: rig.h.router.dispatch,
        log: rig.h.log,
        store: rig.h.store,
      });
      await adapter.start();
    });

    afterAll(async () => {
      await adapter?.stop();
      await fake?.close();
    });

    const inGroup = (m: Json): boolean => m["chat"]?.["id"] === TELEGRAM_GROUP.id;
    const messageWith = (text: string): Json | undefined => [...fake.messages.values()].find((m) => inGroup(m) && String(m["text"]).includes(text));

    it("/preview, then /preview destroy answers with a danger button; its callback_query (and Confirm) removes everything", async () => {
      const slug = newBranch("telegram");
      fake.queue(fake.textUpdate({ from: telegramDev, chat: TELEGRAM_GROUP, text: `/preview ${slug}` }));
      const up = await fake.waitFor((c) => (c.method === "editMessageText" || c.method === "sendMessage") && c.body.chat_id === TELEGRAM_GROUP.id && String(c.body.text).includes("is up"), 90_000);
      expect(up.body.parse_mode).toBe("HTML");
      const html = String(up.body.text);
      expect(parseTelegramHtml(html)).not.toHaveProperty("error");
      expect(html.split("\n")[0]).toMatch(new RegExp(`^<b>${upTitle(slug).source.slice(1, -1)}</b>$`));
      expect(html).toContain(`<b>URL:</b> ${urlOf(slug)}`);
      expect(html).toContain(`<b>Slug:</b> ${slug}`);
      const upKeys = (up.body.reply_markup.inline_keyboard as Json[][]).flat();
      expect(upKeys.map((k) => k["text"])).toEqual(["Destroy", "Extend 1d"]);
      await remember(slug);

      fake.queue(fake.textUpdate({ from: telegramDev, chat: TELEGRAM_GROUP, text: `/preview destroy ${slug}` }));
      const asked = await fake.waitFor((c) => c.method === "sendMessage" && String(c.body.text).includes(`Destroy preview ${slug}?`), 10_000);
      expect(asked.body.parse_mode).toBe("HTML");
      expect(String(asked.body.text).startsWith(`<b>⚠️ Destroy preview ${slug}?</b>\n`)).toBe(true);
      expect(parseTelegramHtml(String(asked.body.text))).not.toHaveProperty("error");
      const keys = (asked.body.reply_markup.inline_keyboard as Json[][]).flat();
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatchObject({ text: `Destroy ${slug}` });
      expect(String(keys[0]?.["callback_data"])).toMatch(/^b:[A-Za-z0-9_-]{16}$/);
      const askMessage = messageWith(`Destroy preview ${slug}?`);
      expect(askMessage).toBeDefined();
      expect(await docker.listByLabel(`opsdeck.preview=${slug}`, { runningOnly: true })).not.toHaveLength(0);

      const pressed = fake.callbackUpdate({ from: telegramDev, chatId: TELEGRAM_GROUP.id, messageId: Number(askMessage?.["message_id"]), data: String(keys[0]?.["callback_data"]) });
      fake.queue(pressed);
      const prompt = await fake.waitFor((c) => c.method === "sendMessage" && String(c.body.text).includes(`Destroy preview ${slug} and delete its data?`), 10_000);
      expect(fake.calls.some((c) => c.method === "answerCallbackQuery" && c.body.callback_query_id === pressed["callback_query"]["id"])).toBe(true);
      const promptKeys = (prompt.body.reply_markup.inline_keyboard as Json[][]).flat();
      expect(promptKeys.map((k) => k["text"])).toEqual(["Confirm", "Cancel"]);
      const promptMessage = messageWith(`Destroy preview ${slug} and delete its data?`);

      fake.queue(fake.callbackUpdate({ from: telegramDev, chatId: TELEGRAM_GROUP.id, messageId: Number(promptMessage?.["message_id"]), data: String(promptKeys[0]?.["callback_data"]) }));
      const done = await fake.waitFor((c) => c.method === "editMessageText" && String(c.body.text).includes(`Preview ${slug} destroyed`), 90_000);
      expect(done.body.message_id).toBe(promptMessage?.["message_id"]);
      expect(String(done.body.text).startsWith(`<b>✅ Preview ${slug} destroyed</b>`)).toBe(true);
      expect(parseTelegramHtml(String(done.body.text))).not.toHaveProperty("error");
      await expectGone(slug);

      expect(fake.unexpected).toEqual([]);
      expectNoCredentialIn("what the fake Telegram API recorded", JSON.stringify(fake.calls) + JSON.stringify([...fake.messages.values()]));
    });
  });

  it("left no credential in opsdeck's own log, audit trail or state", () => {
    expect(slugs).toHaveLength(4);
    expectNoCredentialIn("the log", rig.h.logText());
    expectNoCredentialIn("the audit trail", rig.h.auditText());
    expectNoCredentialIn("the state file", readFileSync(join(rig.h.dataDir, "state.json"), "utf8"));
  });
});
