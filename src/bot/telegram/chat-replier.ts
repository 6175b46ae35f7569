import { TelegramError, type Telegram } from "telegraf";
import type { MessageRef, Reply } from "../../core/command.js";
import type { TelegramMessage } from "./render-telegram-reply.js";

export interface ChatReplierOptions {
  chatId: number | string;
  /** The message that asked (a command): the first reply quotes it. */
  replyTo?: number;
  /**
   * The message holding the clicked button: replies edit it in place. Replies meant for the
   * actor only go to a separate message quoting it, so a failure does not wipe the shared one.
   */
  clickedMessageId?: number;
  render: (reply: Reply) => Promise<TelegramMessage>;
}

export interface ChatReplier {
  (reply: Reply): Promise<void>;
  /** The shared message the replies edit (chat id + message_id), once sent: editable later, also after a restart. */
  ref(): MessageRef | undefined;
}

export function notModified(err: unknown): boolean {
  return err instanceof TelegramError && /message is not modified/i.test(err.description);
}

/**
 * The first reply is sent, every later one edits it (`editMessageText`), so progress appears in
 * one message. Telegram has no ephemeral messages; in a group an actor-only reply is still seen
 * by the group, so replies never carry secrets (the router redacts them anyway).
 */
export function createChatReplier(tg: Telegram, options: ChatReplierOptions): ChatReplier {
  let shared: number | null = options.clickedMessageId ?? null;
  let personal: number | null = null;

  const post = async (msg: TelegramMessage, quote: number | undefined): Promise<number> => {
    const sent = await tg.sendMessage(options.chatId, msg.html, {
      parse_mode: "HTML",
      link_preview_options: { is_disabled: true },
      reply_markup: { inline_keyboard: msg.keyboard },
      ...(quote !== undefined ? { reply_parameters: { message_id: quote, allow_sending_without_reply: true } } : {}),
    });
    return sent.message_id;
  };
  const edit = async (messageId: number, msg: TelegramMessage): Promise<void> => {
    try {
      await tg.editMessageText(options.chatId, messageId, undefined, msg.html, {
        parse_mode: "HTML",
        link_preview_options: { is_disabled: true },
        reply_markup: { inline_keyboard: msg.keyboard },
      });
    } catch (err) {
      if (!notModified(err)) throw err;
    }
  };

  const replier = async (reply: Reply): Promise<void> => {
    const msg = await options.render(reply);
    if (reply.visibility === "actor" && options.clickedMessageId !== undefined) {
      if (personal === null) personal = await post(msg, options.clickedMessageId);
      else await edit(personal, msg);
      return;
    }
    if (shared === null) shared = await post(msg, options.replyTo);
    else await edit(shared, msg);
  };
  const ref = (): MessageRef | undefined => (shared === null ? undefined : { platform: "telegram", channel: String(options.chatId), id: String(shared) });
  return Object.assign(replier, { ref });
}
