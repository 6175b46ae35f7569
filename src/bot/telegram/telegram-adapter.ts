import { Telegraf, type Telegram } from "telegraf";
import { callbackQuery, message } from "telegraf/filters";
import type { CallbackQuery, Message, Update, User } from "telegraf/types";
import type { Command, Reply } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { AlertTarget } from "../../core/notifier.js";
import type { Secret } from "../../core/secret.js";
import { splitCommand } from "../../core/validate.js";
import type { TelegramConfig } from "../../config/telegram-config.js";
import type { Store } from "../../store/store.js";
// Shared with the Discord adapter (both need short button ids and the same command list).
import { createButtonRefs, createConfirmPrompt, putButtonIds, type ButtonRef } from "../button-refs.js";
import { CHAT_COMMANDS, type ChatCommandInfo } from "../discord/chat-commands.js";
import { createChatReplier, notModified, type ChatReplier } from "./chat-replier.js";
import { parseBotCommand } from "./parse-bot-command.js";
import { renderTelegramReply, type TelegramMessage } from "./render-telegram-reply.js";
import { createUpdateHighWater } from "./update-high-water.js";
import { startWebhookServer, type StartedWebhookServer } from "./webhook-server.js";

import type { DispatchFn } from "../../core/command.js";

export interface TelegramAdapterOptions {
  config: TelegramConfig;
  token: Secret;
  /** Webhook mode (required there): the `secret_token` Telegram must send back in every request. */
  webhookSecret?: Secret;
  dispatch: DispatchFn;
  log: Logger;
  /** Persists button ids (buttons keep working after a restart) and the update_id high-water mark. */
  store?: Store;
  commands?: readonly ChatCommandInfo[];
  clock?: () => Date;
}

export interface TelegramAdapter {
  /** Register the commands (`setMyCommands`), then start long polling or the webhook server. */
  start(): Promise<void>;
  /** Stop receiving; waits (up to 10 s) for commands already running. */
  stop(): Promise<void>;
  alertTarget: AlertTarget;
  /** The port the webhook server listens on (webhook mode, after `start`). */
  readonly webhookPort: number | undefined;
}

const PREFIX = "b:";

function actorOf(user: User): Command["actor"] {
  return { platform: "telegram", id: String(user.id), name: user.username ?? [user.first_name, user.last_name].filter(Boolean).join(" ") };
}

/**
 * Telegram front end: bot commands in groups and direct chats, inline keyboards for buttons.
 * Updates arrive by long polling (default) or webhook; both go through `bot.handleUpdate`, and
 * each command runs in the background so a long operation never holds up the next update.
 */
export function createTelegramAdapter(options: TelegramAdapterOptions): TelegramAdapter {
  const { config, token, dispatch, log } = options;
  const clock = options.clock ?? (() => new Date());
  const refs = createButtonRefs({ ttlMs: config.button_ttl, clock, ...(options.store ? { store: options.store } : {}) });
  const bot = new Telegraf(token.reveal(), {
    // webhookReply off: API calls must be real calls, never piggy-backed on a webhook response.
    telegram: { webhookReply: false, ...(config.api_root ? { apiRoot: config.api_root } : {}) },
  });
  const tg: Telegram = bot.telegram;
  const highWater = createUpdateHighWater({ ...(options.store ? { store: options.store } : {}), clock, log });
  const inFlight = new Set<Promise<void>>();
  let polling: Promise<void> | null = null;
  let webhook: StartedWebhookServer | null = null;

  function track(work: Promise<void>, what: string): void {
    const p = work.catch((err: unknown) => log.error({ err }, `Telegram ${what} failed`));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }

  async function render(reply: Reply): Promise<TelegramMessage> {
    return renderTelegramReply(reply, await putButtonIds(refs, reply.buttons ?? [], PREFIX));
  }

  async function run(text: string, from: User, chatId: number, updateId: number, show: ChatReplier): Promise<void> {
    let parsed: { name: string; args: string[] };
    try {
      parsed = splitCommand(text);
    } catch (err) {
      if (!(err instanceof OpsError)) throw err;
      await show({ status: "failure", title: err.message, nextStep: err.nextStep, visibility: "actor" });
      return;
    }
    await dispatch({ ...parsed, text, actor: actorOf(from), channelId: String(chatId), deliveryId: String(updateId), respond: show, update: show, messageRef: () => show.ref() });
  }

  async function onText(msg: Message.TextMessage, updateId: number): Promise<void> {
    if (!msg.from || msg.from.is_bot) return;
    const text = parseBotCommand(msg.text, msg.entities, bot.botInfo?.username ?? "");
    if (text === null) return;
    const show = createChatReplier(tg, { chatId: msg.chat.id, replyTo: msg.message_id, render });
    await run(text, msg.from, msg.chat.id, updateId, show);
  }

  async function confirmPrompt(chatId: number, messageId: number, ref: ButtonRef): Promise<void> {
    const { reply, ids } = await createConfirmPrompt(refs, ref, PREFIX);
    const prompt = renderTelegramReply(reply, ids);
    await tg.sendMessage(chatId, prompt.html, {
      parse_mode: "HTML",
      reply_markup: { inline_keyboard: prompt.keyboard },
      reply_parameters: { message_id: messageId, allow_sending_without_reply: true },
    });
  }

  async function onCallback(query: CallbackQuery.DataQuery, updateId: number): Promise<void> {
    const ref = query.data.startsWith(PREFIX) ? refs.get(query.data.slice(PREFIX.length)) : undefined;
    const where = query.message;
    if (!ref || !where) {
      await tg.answerCbQuery(query.id, "This button has expired. Type the command again.", { show_alert: true });
      return;
    }
    await tg.answerCbQuery(query.id);
    const chatId = where.chat.id;
    if (ref.kind === "cancel") {
      await tg.editMessageText(chatId, where.message_id, undefined, renderTelegramReply({ status: "info", title: "Cancelled" }).html, { parse_mode: "HTML", reply_markup: { inline_keyboard: [] } });
      return;
    }
    if (ref.kind === "run" && ref.confirm) {
      await confirmPrompt(chatId, where.message_id, ref);
      return;
    }
    const show = createChatReplier(tg, { chatId, clickedMessageId: where.message_id, render });
    await run(ref.command, query.from, chatId, updateId, show);
  }

  // First, before any branch (commands, buttons, confirm prompts): refuse re-deliveries and replays.
  bot.use(async (ctx, next) => {
    if (await highWater.accept(ctx.update, String(ctx.botInfo.id))) await next();
  });
  bot.on(message("text"), (ctx) => {
    track(onText(ctx.message, ctx.update.update_id), "command");
  });
  bot.on(callbackQuery("data"), (ctx) => {
    track(onCallback(ctx.callbackQuery, ctx.update.update_id), "button click");
  });
  bot.catch((err) => {
    log.error({ err }, "Telegram update handling failed");
  });

  async function connect(): Promise<void> {
    bot.botInfo = await tg.getMe();
    const commands = options.commands ?? CHAT_COMMANDS;
    await tg.setMyCommands(commands.map((c) => ({ command: c.name, description: c.description.slice(0, 256) })));
  }

  return {
    async start() {
      const secret = options.webhookSecret;
      if (config.mode === "webhook" && !secret) {
        throw new OpsError("config", "the Telegram webhook has no secret token: anyone who reaches the URL could post updates as any user", "Set chat.telegram.webhook.secret_token_env to the name of a variable holding 1–256 characters of A-Z a-z 0-9 _ - (e.g. TELEGRAM_WEBHOOK_SECRET=$(openssl rand -hex 32)).");
      }
      try {
        await connect();
      } catch (err) {
        throw new OpsError("external_api", `could not reach the Telegram Bot API (${(err as Error).message})`, `Check ${config.bot_token_env} holds the token @BotFather gave you and that api.telegram.org is reachable.`, { cause: err });
      }
      if (config.mode === "polling") {
        // launch() resolves only when polling stops; it calls deleteWebhook first (polling and a webhook exclude each other).
        polling = bot.launch().catch((err: unknown) => log.error({ err }, "Telegram long polling stopped with an error"));
        log.info({ bot: bot.botInfo?.username }, "Telegram long polling started");
        return;
      }
      if (!secret) throw new Error("unreachable: webhook mode without a secret was refused above");
      webhook = await startWebhookServer({
        host: config.webhook.host,
        port: config.webhook.port,
        path: config.webhook.path,
        secret,
        onUpdate: (update: Update) => track(bot.handleUpdate(update), "webhook update"),
        log,
      });
      if (config.webhook.public_url) {
        // max_connections 1: updates arrive one at a time, in update_id order (the high-water mark relies on it).
        await tg.setWebhook(config.webhook.public_url, { secret_token: secret.reveal(), max_connections: 1, allowed_updates: ["message", "callback_query"] });
      }
      log.info({ bot: bot.botInfo?.username, port: webhook.port }, "Telegram webhook listening");
    },
    async stop() {
      if (polling) {
        bot.stop("opsdeck stopping");
        await polling;
        polling = null;
      }
      await webhook?.close();
      webhook = null;
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
    },
    alertTarget: {
      platform: "telegram",
      async post(reply) {
        if (config.alert_chat_id === undefined) {
          throw new OpsError("config", "no Telegram alert chat is configured", "Set chat.telegram.alert_chat_id to a chat id.");
        }
        const msg = await render(reply);
        await tg.sendMessage(config.alert_chat_id, msg.html, { parse_mode: "HTML", link_preview_options: { is_disabled: true }, reply_markup: { inline_keyboard: msg.keyboard } });
      },
      // Any message this bot sent (an approval request after a restart), by chat id + message_id.
      async edit(ref, reply) {
        const msg = await render(reply);
        const messageId = Number(ref.id);
        if (!Number.isSafeInteger(messageId)) throw new OpsError("bad_input", `not a Telegram message id: ${ref.id}`, "Nothing was edited; the request stays as it is.");
        await tg.editMessageText(ref.channel, messageId, undefined, msg.html, { parse_mode: "HTML", link_preview_options: { is_disabled: true }, reply_markup: { inline_keyboard: msg.keyboard } }).catch((err: unknown) => {
          if (!notModified(err)) throw err;
        });
      },
    },
    get webhookPort() {
      return webhook?.port;
    },
  };
}
