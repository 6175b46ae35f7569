// Telegram front end driven end to end: real telegraf against a fake Bot API on loopback (long
// polling and webhook), through a real router, store, audit log and redactor.
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseBotCommand } from "../../src/bot/telegram/parse-bot-command.js";
import { renderTelegramReply, TELEGRAM_LIMITS } from "../../src/bot/telegram/render-telegram-reply.js";
import { createTelegramAdapter, type TelegramAdapter } from "../../src/bot/telegram/telegram-adapter.js";
import { parseConfig } from "../../src/config/load-config.js";
import { loadTelegramSecrets, TelegramConfig } from "../../src/config/telegram-config.js";
import { ConfigError, OpsError } from "../../src/core/errors.js";
import { actorKey } from "../../src/core/command.js";
import { Secret } from "../../src/core/secret.js";
import type { Handler } from "../../src/handlers/handler.js";
import { parseTelegramHtml, startFakeTelegramApi, type FakeTelegramApi, type RecordedCall } from "../fakes/fake-telegram-api.js";
import { createHarness, type Harness } from "../support/router-harness.js";

const TOKEN = "123456789:AAHfakeTelegramTokenForTests_0123456789ab";
const WEBHOOK_SECRET = "webhook-secret_0123456789";
const GROUP = { id: -100200300, type: "supergroup" as const };
const ALERT_CHAT = -100999;
const alice = { id: 111, username: "alice", first_name: "Alice" };
const bob = { id: 222, username: "bob", first_name: "Bob" };
const stranger = { id: 999, first_name: "Stranger" };

interface Run {
  actor: string;
  args: string[];
}

function testHandler(runs: Run[]): Handler {
  return {
    name: "preview",
    summary: "preview environments",
    usage: ["/preview <branch>"],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: (args) => ({ key: args[0] === "destroy" ? "preview destroy" : "preview", readOnly: args[0] === "status" }),
    async run(command, progress) {
      runs.push({ actor: actorKey(command.actor), args: command.args });
      const [sub, slug] = command.args;
      if (sub === "destroy") {
        await progress(`destroying ${slug}`);
        return { status: "success", title: `preview ${slug} destroyed` };
      }
      if (sub === "status") return { status: "info", title: `preview ${slug} is running` };
      await progress(`building ${sub}`);
      await sleep(30);
      return {
        status: "success",
        title: `preview ${sub} is ready`,
        lines: [`branch ${sub}`],
        fields: [{ label: "URL", value: `https://preview-${sub}.example.test` }],
        buttons: [
          { label: "Status", command: `/preview status ${sub}` },
          { label: "Destroy", command: `/preview destroy ${sub} --yes`, style: "danger", confirm: `Destroy preview ${sub}?` },
        ],
      };
    },
  };
}

describe("Telegram adapter (telegraf against a fake Bot API)", () => {
  let fake: FakeTelegramApi;
  let h: Harness;
  let adapter: TelegramAdapter;
  const runs: Run[] = [];
  const makeAdapter = (raw: Record<string, unknown>, token = TOKEN, webhookSecret?: string): TelegramAdapter =>
    createTelegramAdapter({
      config: TelegramConfig.parse({ enabled: true, api_root: fake.apiRoot, alert_chat_id: ALERT_CHAT, ...raw }),
      token: new Secret(token),
      ...(webhookSecret ? { webhookSecret: new Secret(webhookSecret) } : {}),
      dispatch: (c) => h.router.dispatch(c),
      log: h.log,
      store: h.store,
    });
  const of = (method: string): RecordedCall[] => fake.calls.filter((c) => c.method === method);
  const finalEdit = (pred: (html: string) => boolean): Promise<RecordedCall> => fake.waitFor((c) => c.method === "editMessageText" && pred(String(c.body.text)));

  beforeAll(async () => {
    fake = await startFakeTelegramApi({ token: TOKEN });
    h = await createHarness({ handlers: [testHandler(runs)], access: { roles: { admin: [`telegram:${alice.id}`, `telegram:${bob.id}`] }, rules: {} } });
    h.redact.add(TOKEN);
    adapter = makeAdapter({});
    await adapter.start();
  });

  afterAll(async () => {
    await adapter?.stop();
    await fake?.close();
  });

  it("registers the commands, drops any webhook and long-polls", async () => {
    await fake.waitFor((c) => c.method === "getUpdates");
    const set = of("setMyCommands");
    expect(set).toHaveLength(1);
    expect(set[0]!.body.commands.map((c: { command: string }) => c.command).sort()).toEqual(["audit", "backup", "deploy", "help", "infra", "jobs", "preview", "rollback", "runbook", "seed", "status"]);
    expect(of("deleteWebhook")[0]!.seq).toBeLessThan(of("getUpdates")[0]!.seq);
    expect(of("getUpdates")[0]!.body.timeout).toBe(50);
  });

  it("a wrong token fails start with a message naming the variable", async () => {
    const bad = makeAdapter({}, "123456789:AAHwrongTokenwrongTokenwrongToken_000");
    const err = await bad.start().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).nextStep).toContain("TELEGRAM_BOT_TOKEN");
  });

  let ready: { messageId: number; keyboard: Array<Array<{ text: string; callback_data: string }>> } | undefined;

  it("a group command (/cmd@bot) gets a message, then that message is edited with the final reply", async () => {
    const update = fake.textUpdate({ from: alice, chat: GROUP, text: "/preview@opsdeck_bot feature-x" });
    fake.queue(update);
    const final = await finalEdit((t) => t.includes("is ready"));
    const sends = of("sendMessage").filter((c) => c.body.chat_id === GROUP.id);
    expect(sends).toHaveLength(1);
    const first = sends[0]!;
    expect(first.body.parse_mode).toBe("HTML");
    expect(first.body.text).toContain("building feature-x");
    expect(first.body.reply_parameters).toEqual({ message_id: update.message.message_id, allow_sending_without_reply: true });
    expect(first.seq).toBeLessThan(final.seq);

    const messageId = final.body.message_id as number;
    expect(messageId).toBe(fake.messages.get(`${GROUP.id}:${messageId}`)?.message_id);
    expect(fake.messages.get(`${GROUP.id}:${messageId}`)?.text).toContain("is ready");
    expect(final.body.chat_id).toBe(GROUP.id);
    expect(final.body.parse_mode).toBe("HTML");
    expect(final.body.text).toBe("<b>✅ preview feature-x is ready</b>\nbranch feature-x\n\n<b>URL:</b> https://preview-feature-x.example.test");
    const keyboard = final.body.reply_markup.inline_keyboard as Array<Array<{ text: string; callback_data: string }>>;
    expect(keyboard.flat().map((b) => b.text)).toEqual(["Status", "Destroy"]);
    for (const b of keyboard.flat()) {
      expect(b.callback_data).toMatch(/^b:[A-Za-z0-9_-]{16}$/);
      expect(Buffer.byteLength(b.callback_data)).toBeLessThanOrEqual(64);
    }
    expect(runs.at(-1)).toEqual({ actor: `telegram:${alice.id}`, args: ["feature-x"] });
    ready = { messageId, keyboard };
  });

  it("works in a direct chat, and ignores commands addressed to another bot", async () => {
    const before = runs.length;
    fake.queue(fake.textUpdate({ from: alice, chat: { id: alice.id, type: "private" }, text: "/preview@other_bot nope" }));
    fake.queue(fake.textUpdate({ from: alice, chat: { id: alice.id, type: "private" }, text: "just chatting" }));
    fake.queue(fake.textUpdate({ from: alice, chat: { id: alice.id, type: "private" }, text: "/preview dm-branch" }));
    await finalEdit((t) => t.includes("dm-branch is ready"));
    await sleep(100);
    expect(runs.slice(before)).toEqual([{ actor: `telegram:${alice.id}`, args: ["dm-branch"] }]);
    expect(of("sendMessage").filter((c) => c.body.chat_id === alice.id)).toHaveLength(1);
  });

  it("a button with a confirmation asks first; Confirm runs the button's command as the clicker", async () => {
    if (!ready) throw new Error("the group command test did not run");
    const destroy = ready.keyboard.flat().find((b) => b.text === "Destroy")!;
    const before = runs.length;
    const click = fake.callbackUpdate({ from: bob, chatId: GROUP.id, messageId: ready.messageId, data: destroy.callback_data });
    fake.queue(click);
    const prompt = await fake.waitFor((c) => c.method === "sendMessage" && String(c.body.text).includes("Destroy preview feature-x?"));
    expect(of("answerCallbackQuery").map((c) => c.body.callback_query_id)).toContain(click.callback_query.id);
    expect(prompt.body.reply_parameters.message_id).toBe(ready.messageId);
    const promptKeys = prompt.body.reply_markup.inline_keyboard.flat() as Array<{ text: string; callback_data: string }>;
    expect(promptKeys.map((b) => b.text)).toEqual(["Confirm", "Cancel"]);
    await sleep(100);
    expect(runs.length).toBe(before);

    const promptMessage = [...fake.messages.values()].find((m) => String(m.text).includes("Destroy preview feature-x?"))!;
    fake.queue(fake.callbackUpdate({ from: bob, chatId: GROUP.id, messageId: promptMessage.message_id, data: promptKeys[0]!.callback_data }));
    const done = await finalEdit((t) => t.includes("feature-x destroyed"));
    expect(done.body.message_id).toBe(promptMessage.message_id);
    expect(runs.at(-1)).toEqual({ actor: `telegram:${bob.id}`, args: ["destroy", "feature-x", "--yes"] });
    expect(runs.length).toBe(before + 1);
  });

  it("Cancel on a confirmation prompt closes it and runs nothing", async () => {
    if (!ready) throw new Error("the group command test did not run");
    const before = runs.length;
    const destroy = ready.keyboard.flat().find((b) => b.text === "Destroy")!;
    const sent = of("sendMessage").length;
    fake.queue(fake.callbackUpdate({ from: bob, chatId: GROUP.id, messageId: ready.messageId, data: destroy.callback_data }));
    await fake.waitFor((c) => c.method === "sendMessage" && c.seq > 0 && of("sendMessage").length > sent);
    const prompt = of("sendMessage").at(-1)!;
    const promptMessage = [...fake.messages.values()].filter((m) => m.chat.id === GROUP.id).sort((a, b) => b.message_id - a.message_id)[0]!;
    const cancel = (prompt.body.reply_markup.inline_keyboard.flat() as Array<{ text: string; callback_data: string }>).find((b) => b.text === "Cancel")!;
    fake.queue(fake.callbackUpdate({ from: bob, chatId: GROUP.id, messageId: promptMessage.message_id, data: cancel.callback_data }));
    const closed = await fake.waitFor((c) => c.method === "editMessageText" && c.body.message_id === promptMessage.message_id && String(c.body.text).includes("Cancelled"));
    expect(closed.body.reply_markup).toEqual({ inline_keyboard: [] });
    await sleep(100);
    expect(runs.length).toBe(before);
  });

  it("a confirm-step click delivered twice asks once and answers the query once", async () => {
    if (!ready) throw new Error("the group command test did not run");
    const destroy = ready.keyboard.flat().find((b) => b.text === "Destroy")!;
    const isPrompt = (c: RecordedCall): boolean => c.method === "sendMessage" && String(c.body.text).includes("Destroy preview feature-x?");
    const promptsBefore = fake.calls.filter(isPrompt).length;
    const before = runs.length;
    const click = fake.callbackUpdate({ from: bob, chatId: GROUP.id, messageId: ready.messageId, data: destroy.callback_data });
    fake.queue(click);
    await fake.waitFor((c) => isPrompt(c) && fake.calls.filter(isPrompt).length > promptsBefore);
    fake.queue(click, { again: true });
    await fake.waitFor((c) => c.method === "getUpdates" && c.body.offset > click.update_id);
    await sleep(400);
    expect(fake.calls.filter(isPrompt).length).toBe(promptsBefore + 1);
    expect(of("answerCallbackQuery").filter((c) => c.body.callback_query_id === click.callback_query.id)).toHaveLength(1);
    expect(runs.length).toBe(before);
  });

  it("a plain button click is answered and edits the clicked message, run as the clicker", async () => {
    if (!ready) throw new Error("the group command test did not run");
    const status = ready.keyboard.flat().find((b) => b.text === "Status")!;
    const click = fake.callbackUpdate({ from: bob, chatId: GROUP.id, messageId: ready.messageId, data: status.callback_data });
    fake.queue(click);
    const edit = await finalEdit((t) => t.includes("feature-x is running"));
    expect(edit.body.message_id).toBe(ready.messageId);
    const answer = of("answerCallbackQuery").find((c) => c.body.callback_query_id === click.callback_query.id);
    expect(answer).toBeDefined();
    expect(answer!.seq).toBeLessThan(edit.seq);
    expect(runs.at(-1)).toEqual({ actor: `telegram:${bob.id}`, args: ["status", "feature-x"] });
  });

  it("an unknown button id is answered with an alert and runs nothing", async () => {
    const before = runs.length;
    const click = fake.callbackUpdate({ from: bob, chatId: GROUP.id, messageId: ready!.messageId, data: "b:AAAAAAAAAAAAAAAA" });
    fake.queue(click);
    const answer = await fake.waitFor((c) => c.method === "answerCallbackQuery" && c.body.callback_query_id === click.callback_query.id);
    expect(answer.body.show_alert).toBe(true);
    expect(answer.body.text).toMatch(/expired/);
    expect(runs.length).toBe(before);
  });

  it("the same update delivered twice runs once", async () => {
    const before = runs.length;
    const update = fake.textUpdate({ from: alice, chat: GROUP, text: "/preview twice" });
    fake.queue(update);
    await finalEdit((t) => t.includes("twice is ready"));
    fake.queue(update, { again: true });
    await sleep(400);
    expect(runs.length).toBe(before + 1);
    expect(of("sendMessage").filter((c) => String(c.body.text).includes("twice"))).toHaveLength(1);
  });

  it("user text is HTML-escaped", async () => {
    fake.queue(fake.textUpdate({ from: alice, chat: GROUP, text: "/preview <b>x&y</b>" }));
    const final = await finalEdit((t) => t.includes("is ready") && t.includes("x&amp;y"));
    expect(final.body.text).toContain("&lt;b&gt;x&amp;y&lt;/b&gt;");
    const shown = [...fake.messages.values()].find((m) => m.message_id === final.body.message_id && m.chat.id === GROUP.id)!;
    expect(shown.text).toContain("✅ preview <b>x&y</b> is ready");
  });

  it("an unknown user gets a failure reply and nothing runs", async () => {
    const before = runs.length;
    fake.queue(fake.textUpdate({ from: stranger, chat: GROUP, text: "/preview nope" }));
    const failure = await fake.waitFor((c) => c.method === "sendMessage" && String(c.body.text).includes("not allowed"));
    expect(failure.body.text.startsWith("<b>❌")).toBe(true);
    expect(failure.body.text).toContain("<i>Next step:</i>");
    expect(runs.length).toBe(before);
  });

  it("the alert target posts HTML to the alert chat", async () => {
    await adapter.alertTarget.post({ status: "failure", title: "staging <down>", lines: ["3 checks failed"] });
    const sent = await fake.waitFor((c) => c.method === "sendMessage" && c.body.chat_id === ALERT_CHAT);
    expect(sent.body.text).toBe("<b>❌ staging &lt;down&gt;</b>\n3 checks failed");
  });

  describe("webhook mode", () => {
    let hook: TelegramAdapter;
    let url: string;
    beforeAll(async () => {
      hook = makeAdapter({ mode: "webhook", webhook: { path: "/tg/hook", port: 0, public_url: "https://bot.example.test/tg/hook", secret_token_env: "TG_SECRET" } }, TOKEN, WEBHOOK_SECRET);
      await hook.start();
      url = `http://127.0.0.1:${hook.webhookPort}/tg/hook`;
    });
    afterAll(async () => {
      await hook?.stop();
    });
    const post = (body: unknown, secret?: string): Promise<Response> =>
      fetch(url, { method: "POST", headers: { "content-type": "application/json", ...(secret !== undefined ? { "x-telegram-bot-api-secret-token": secret } : {}) }, body: JSON.stringify(body) });

    it("registers the webhook with the secret token", () => {
      const set = of("setWebhook");
      expect(set).toHaveLength(1);
      expect(set[0]!.body).toMatchObject({ url: "https://bot.example.test/tg/hook", secret_token: WEBHOOK_SECRET, max_connections: 1 });
    });

    it("start-up without a secret token is refused before anything listens or calls Telegram", async () => {
      const notPolling = (): RecordedCall[] => fake.calls.filter((c) => c.method !== "getUpdates");
      const calls = notPolling().length;
      const config = { ...TelegramConfig.parse({ enabled: true, api_root: fake.apiRoot }), mode: "webhook" as const, webhook: { path: "/tg/open", host: "127.0.0.1", port: 0, public_url: "https://bot.example.test/tg/open" } };
      const open = createTelegramAdapter({ config, token: new Secret(TOKEN), dispatch: (c) => h.router.dispatch(c), log: h.log, store: h.store });
      const err = await open.start().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(OpsError);
      expect((err as OpsError).code).toBe("config");
      expect((err as OpsError).nextStep).toContain("chat.telegram.webhook.secret_token_env");
      expect(open.webhookPort).toBeUndefined();
      expect(notPolling().length).toBe(calls);
      await open.stop();
    });

    it("a wrong or missing secret token is refused with 401 and runs nothing", async () => {
      const before = runs.length;
      const sends = of("sendMessage").length;
      const update = fake.textUpdate({ from: alice, chat: GROUP, text: "/preview hooked-bad" });
      expect((await post(update, "wrong-secret")).status).toBe(401);
      expect((await post(update)).status).toBe(401);
      expect((await post(update, `${WEBHOOK_SECRET}x`)).status).toBe(401);
      await sleep(200);
      expect(runs.length).toBe(before);
      expect(of("sendMessage").length).toBe(sends);
    });

    it("the right secret runs the command once, even when Telegram delivers it twice", async () => {
      const before = runs.length;
      const update = fake.textUpdate({ from: alice, chat: GROUP, text: "/preview hooked" });
      expect((await post(update, WEBHOOK_SECRET)).status).toBe(200);
      expect((await post(update, WEBHOOK_SECRET)).status).toBe(200);
      await finalEdit((t) => t.includes("hooked is ready"));
      await sleep(200);
      expect(runs.slice(before)).toEqual([{ actor: `telegram:${alice.id}`, args: ["hooked"] }]);
      expect((await fetch(url, { method: "GET" })).status).toBe(404);
    });
  });

  it("no unexpected call reached the fake, and the token never reached the log", () => {
    expect(fake.unexpected).toEqual([]);
    expect(h.logText()).not.toContain(TOKEN);
    const errors = h.logText().split("\n").filter((l) => l && (JSON.parse(l) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
    expect(h.logText()).not.toContain(WEBHOOK_SECRET);
  });
});

describe("renderTelegramReply", () => {
  it("keeps a long log's tail within 4096 visible characters and says it cut", () => {
    const code = Array.from({ length: 3000 }, (_, i) => `line ${i} <&>`).join("\n");
    const { html } = renderTelegramReply({ status: "failure", title: "deploy failed", lines: ["health check timed out"], code, nextStep: "Read the log." });
    expect(html.length).toBeLessThanOrEqual(TELEGRAM_LIMITS.text);
    const parsed = parseTelegramHtml(html);
    if ("error" in parsed) throw new Error(parsed.error);
    expect(parsed.text).toContain("line 2999 <&>");
    expect(parsed.text).not.toContain("line 0 ");
    expect(parsed.text).toContain("earlier lines cut");
    expect(html.startsWith("<b>❌ deploy failed</b>\nhealth check timed out\n\n<i>Next step:</i> Read the log.\n<pre>")).toBe(true);
  });

  it("cuts a huge head between lines, keeps the title, and stays valid HTML", () => {
    const lines = Array.from({ length: 500 }, (_, i) => `<i>line</i> ${i} & more text to fill`);
    const { html } = renderTelegramReply({ status: "info", title: "many <lines>", lines });
    expect(html.length).toBeLessThanOrEqual(TELEGRAM_LIMITS.text);
    expect(html.startsWith("<b>ℹ️ many &lt;lines&gt;</b>\n")).toBe(true);
    expect(html.endsWith("\n…")).toBe(true);
    expect("error" in parseTelegramHtml(html)).toBe(false);
  });

  it("lays buttons out in rows of three and refuses callback data over 64 bytes", () => {
    const buttons = Array.from({ length: 7 }, (_, i) => ({ label: `b${i}`, command: `/status ${i}` }));
    const { keyboard } = renderTelegramReply({ status: "info", title: "t", buttons }, buttons.map((_, i) => `b:${i}`));
    expect(keyboard.map((r) => r.length)).toEqual([3, 3, 1]);
    expect(keyboard[2]![0]).toEqual({ text: "b6", callback_data: "b:6" });
    expect(() => renderTelegramReply({ status: "info", title: "t", buttons: [buttons[0]!] }, ["x".repeat(65)])).toThrow(/64 bytes/);
  });
});

describe("parseBotCommand", () => {
  const entity = (length: number) => [{ type: "bot_command" as const, offset: 0, length }];
  it("strips this bot's name, refuses other bots, needs a command entity at offset 0", () => {
    expect(parseBotCommand("/preview@OpsDeck_Bot a b", entity(20), "opsdeck_bot")).toBe("/preview a b");
    expect(parseBotCommand("/preview a", entity(8), "opsdeck_bot")).toBe("/preview a");
    expect(parseBotCommand("/preview@other_bot a", entity(18), "opsdeck_bot")).toBeNull();
    expect(parseBotCommand("hello /preview", [{ type: "bot_command", offset: 6, length: 8 }], "opsdeck_bot")).toBeNull();
    expect(parseBotCommand("/preview", undefined, "opsdeck_bot")).toBeNull();
  });
});

describe("TelegramConfig and loadTelegramSecrets", () => {
  it("webhook mode requires secret_token_env (a config error naming the key and the fix) and a non-empty variable", () => {
    const text = `${readFileSync("config/opsdeck.yaml", "utf8")}\nchat:\n  telegram:\n    enabled: true\n    mode: webhook\n`;
    const problems = (() => {
      try {
        parseConfig(text, "test.yaml");
      } catch (e) {
        if (e instanceof ConfigError) return e.problems;
        throw e;
      }
      return [];
    })();
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^chat\.telegram\.webhook\.secret_token_env: is required when chat\.telegram\.mode is webhook/);
    expect(problems[0]).toContain("secret_token_env: TELEGRAM_WEBHOOK_SECRET");
    expect(() => parseConfig(`${text}    webhook:\n      secret_token_env: TG_SECRET\n`, "test.yaml")).not.toThrow();

    const hook = TelegramConfig.parse({ enabled: true, mode: "webhook", webhook: { secret_token_env: "TG_SECRET" } });
    for (const env of [{ TELEGRAM_BOT_TOKEN: TOKEN }, { TELEGRAM_BOT_TOKEN: TOKEN, TG_SECRET: "" }]) {
      const err = (() => {
        try {
          loadTelegramSecrets(hook, env);
        } catch (e) {
          return e;
        }
        return null;
      })();
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems.join("\n")).toMatch(/TG_SECRET is empty or unset/);
    }
    // A config built without the schema (no secret_token_env) still refuses to hand out secrets.
    const unchecked = { ...TelegramConfig.parse({ enabled: true }), mode: "webhook" as const };
    expect(() => loadTelegramSecrets(unchecked, { TELEGRAM_BOT_TOKEN: TOKEN })).toThrow(ConfigError);
  });


  it("defaults to polling, reads secrets from the named variables and names the missing ones", () => {
    const polling = TelegramConfig.parse({ enabled: true });
    expect(polling.mode).toBe("polling");
    expect(loadTelegramSecrets(polling, { TELEGRAM_BOT_TOKEN: TOKEN }).token.reveal()).toBe(TOKEN);

    const hook = TelegramConfig.parse({ enabled: true, mode: "webhook", webhook: { secret_token_env: "TG_SECRET" } });
    const secrets = loadTelegramSecrets(hook, { TELEGRAM_BOT_TOKEN: TOKEN, TG_SECRET: WEBHOOK_SECRET });
    expect(secrets.webhookSecret?.reveal()).toBe(WEBHOOK_SECRET);
    expect(String(secrets.webhookSecret)).toBe("[REDACTED]");

    const err = (() => {
      try {
        loadTelegramSecrets(hook, { TG_SECRET: "not allowed!" });
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.join("\n")).toMatch(/TELEGRAM_BOT_TOKEN[\s\S]*TG_SECRET/);
    expect((err as ConfigError).message).not.toContain("not allowed!");
    expect(TelegramConfig.safeParse({ alert_chat_id: "general" }).success).toBe(false);
  });
});

describe("Telegram update_id high-water mark (webhook mode, across a restart)", () => {
  it("after a restart an update re-posted past the de-duplication window, or any older one, runs nothing; a new sequence after a week's silence runs", async () => {
    const fake = await startFakeTelegramApi({ token: TOKEN });
    const runs: Run[] = [];
    const access = { roles: { admin: [`telegram:${alice.id}`] }, rules: {} };
    const first = await createHarness({ handlers: [testHandler(runs)], access });
    let now = Date.now();
    const start = async (harness: Harness): Promise<TelegramAdapter> => {
      const a = createTelegramAdapter({
        config: TelegramConfig.parse({ enabled: true, api_root: fake.apiRoot, mode: "webhook", webhook: { path: "/tg", port: 0, secret_token_env: "TG_SECRET" } }),
        token: new Secret(TOKEN),
        webhookSecret: new Secret(WEBHOOK_SECRET),
        dispatch: (c) => harness.router.dispatch(c),
        log: harness.log,
        store: harness.store,
        clock: () => new Date(now),
      });
      await a.start();
      return a;
    };
    const post = async (a: TelegramAdapter, body: unknown): Promise<void> => {
      const res = await fetch(`http://127.0.0.1:${a.webhookPort}/tg`, { method: "POST", headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": WEBHOOK_SECRET }, body: JSON.stringify(body) });
      expect(res.status).toBe(200);
    };
    const ready = (name: string): Promise<RecordedCall> => fake.waitFor((c) => c.method === "editMessageText" && String(c.body.text).includes(`${name} is ready`));
    let adapter: TelegramAdapter | undefined;
    try {
      adapter = await start(first);
      const deploy = fake.textUpdate({ from: alice, chat: GROUP, text: "/preview replayed" });
      await post(adapter, deploy);
      await ready("replayed");
      await adapter.stop();
      // 19 minutes pass: the router's delivery ids age out of its 10-minute window.
      await first.store.update((s) => {
        for (const d of s.deliveries) d.at = new Date(Date.parse(d.at) - 19 * 60_000).toISOString();
      });

      const second = await createHarness({ handlers: [testHandler(runs)], access, dataDir: first.dataDir });
      adapter = await start(second);
      await post(adapter, deploy);
      await post(adapter, fake.textUpdate({ from: alice, chat: GROUP, text: "/preview older", updateId: deploy.update_id - 3 }));
      const fresh = fake.textUpdate({ from: alice, chat: GROUP, text: "/preview fresh" });
      await post(adapter, fresh);
      await ready("fresh");
      await sleep(100);
      expect(runs.map((r) => r.args[0])).toEqual(["replayed", "fresh"]);
      const state = JSON.parse(readFileSync(join(first.dataDir, "state.json"), "utf8")) as { telegramHighWater?: unknown };
      expect(state.telegramHighWater).toEqual({ [String(fake.bot.id)]: { updateId: fresh.update_id, at: expect.any(String) } });

      // A week without updates: Telegram may restart the ids lower. A new update (dated now) runs; the old one still does not.
      now += 8 * 86_400_000;
      const restarted = fake.textUpdate({ from: alice, chat: GROUP, text: "/preview restarted", updateId: 1000 });
      restarted.message.date = Math.floor(now / 1000);
      await post(adapter, deploy);
      await post(adapter, restarted);
      await ready("restarted");
      await sleep(100);
      expect(runs.map((r) => r.args[0])).toEqual(["replayed", "fresh", "restarted"]);
      expect(fake.unexpected).toEqual([]);
    } finally {
      await adapter?.stop();
      await fake.close();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
