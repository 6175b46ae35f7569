// A loopback stand-in for the Telegram Bot API: `/bot<token>/<method>`, JSON in and out. It serves
// queued updates to getUpdates (long-poll style, with a short wait), keeps the messages the bot
// sent, validates HTML like Telegram does (unknown tags, unbalanced tags, bare `&`, length), and
// records every call. Unknown methods fail and are listed in `unexpected`.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- arbitrary Bot API JSON, inspected by tests

export interface RecordedCall {
  seq: number;
  method: string;
  body: Json;
}

export interface FakeTelegramUser {
  id: number;
  username?: string;
  first_name: string;
}

export interface FakeTelegramApi {
  apiRoot: string;
  calls: RecordedCall[];
  unexpected: string[];
  /** Messages the bot sent, by `chatId:messageId`. */
  messages: Map<string, Json>;
  bot: { id: number; username: string };
  /** Queue an update for getUpdates. `again: true` serves it even if its id was already confirmed (a redelivery). */
  queue(update: Json, opts?: { again?: boolean }): void;
  textUpdate(opts: { from: FakeTelegramUser; chat: { id: number; type: "private" | "group" | "supergroup" }; text: string; updateId?: number }): Json;
  callbackUpdate(opts: { from: FakeTelegramUser; chatId: number; messageId: number; data: string; updateId?: number }): Json;
  waitFor(pred: (c: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  close(): Promise<void>;
}

const ALLOWED_TAGS = new Set(["b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "tg-spoiler", "blockquote"]);

/** Telegram's HTML parse mode, strictly enough to catch unescaped user text. Returns the visible text or an error. */
export function parseTelegramHtml(html: string): { text: string } | { error: string } {
  const stack: string[] = [];
  let text = "";
  let i = 0;
  while (i < html.length) {
    const ch = html[i] as string;
    if (ch === "<") {
      const m = /^<(\/?)([a-z-]+)(\s[^<>]*)?>/.exec(html.slice(i));
      if (!m || !ALLOWED_TAGS.has(m[2] as string)) return { error: `Bad Request: can't parse entities: Unsupported start tag at byte offset ${i}` };
      if (m[1]) {
        if (stack.pop() !== m[2]) return { error: `Bad Request: can't parse entities: Unmatched end tag at byte offset ${i}` };
      } else stack.push(m[2] as string);
      i += m[0].length;
    } else if (ch === "&") {
      const m = /^&(amp|lt|gt|quot|#\d+);/.exec(html.slice(i));
      if (!m) return { error: `Bad Request: can't parse entities: Character entity expected at byte offset ${i}` };
      text += m[1] === "amp" ? "&" : m[1] === "lt" ? "<" : m[1] === "gt" ? ">" : m[1] === "quot" ? '"' : String.fromCodePoint(Number((m[1] as string).slice(1)));
      i += m[0].length;
    } else if (ch === ">") {
      return { error: `Bad Request: can't parse entities: Unexpected end tag at byte offset ${i}` };
    } else {
      text += ch;
      i += 1;
    }
  }
  if (stack.length > 0) return { error: `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${stack.at(-1)}"` };
  return { text };
}

export async function startFakeTelegramApi(opts: { token: string; botUsername?: string; pollWaitMs?: number }): Promise<FakeTelegramApi> {
  const bot = { id: 7000001, username: opts.botUsername ?? "opsdeck_bot" };
  const pollWaitMs = opts.pollWaitMs ?? 200;
  const calls: RecordedCall[] = [];
  const unexpected: string[] = [];
  const messages = new Map<string, Json>();
  const nextMessageId = new Map<number, number>();
  const callbackQueries = new Map<string, { answered: boolean }>();
  let pending: Array<{ update: Json; again: boolean }> = [];
  let confirmedBelow = 0;
  let seq = 0;
  let nextUpdateId = 500_000;
  let nextCallbackId = 1;
  const pollWaiters = new Set<() => void>();
  const waiters: Array<{ pred: (c: RecordedCall) => boolean; resolve: (c: RecordedCall) => void }> = [];

  const ok = (res: ServerResponse, result: unknown): void => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: true, result }));
  };
  const fail = (res: ServerResponse, code: number, description: string): void => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify({ ok: false, error_code: code, description }));
  };

  function checkMarkup(markup: Json | undefined): string | null {
    const rows = markup?.inline_keyboard;
    if (markup === undefined) return null;
    if (!Array.isArray(rows)) return "Bad Request: inline keyboard expected";
    for (const row of rows) {
      if (!Array.isArray(row)) return "Bad Request: inline keyboard row expected";
      for (const b of row) {
        if (typeof b.text !== "string" || !b.text) return "Bad Request: text buttons are unallowed in the inline keyboard";
        if (typeof b.callback_data !== "string" || Buffer.byteLength(b.callback_data) > 64 || b.callback_data.length === 0) return "Bad Request: BUTTON_DATA_INVALID";
      }
    }
    return null;
  }

  function visibleText(body: Json): { text: string } | { error: string } {
    if (typeof body.text !== "string" || body.text.length === 0) return { error: "Bad Request: message text is empty" };
    const parsed = body.parse_mode === "HTML" ? parseTelegramHtml(body.text) : body.parse_mode === undefined ? { text: body.text } : { error: `Bad Request: unsupported parse_mode ${String(body.parse_mode)}` };
    if ("error" in parsed) return parsed;
    if (parsed.text.length > 4096) return { error: "Bad Request: message is too long" };
    return parsed;
  }

  function method(name: string, body: Json, res: ServerResponse): void {
    switch (name) {
      case "getMe":
        return ok(res, { id: bot.id, is_bot: true, first_name: "opsdeck", username: bot.username, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false });
      case "deleteWebhook":
        return ok(res, true);
      case "setWebhook": {
        // Telegram's own checks: an HTTPS url, secret_token of 1–256 A-Z a-z 0-9 _ -, max_connections 1–100.
        if (typeof body.url !== "string" || !body.url.startsWith("https://")) return fail(res, 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook");
        if (body.secret_token !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(String(body.secret_token))) return fail(res, 400, "Bad Request: secret token contains unallowed characters");
        if (body.max_connections !== undefined && !(Number.isInteger(body.max_connections) && body.max_connections >= 1 && body.max_connections <= 100)) return fail(res, 400, "Bad Request: bad max_connections");
        return ok(res, true);
      }
      case "setMyCommands": {
        const list = body.commands;
        if (!Array.isArray(list) || list.some((c: Json) => !/^[a-z0-9_]{1,32}$/.test(c.command) || typeof c.description !== "string" || c.description.length < 1 || c.description.length > 256)) {
          return fail(res, 400, "Bad Request: BOT_COMMAND_INVALID");
        }
        return ok(res, true);
      }
      case "getUpdates": {
        const offset = Number(body.offset ?? 0);
        if (offset > confirmedBelow) confirmedBelow = offset;
        const answer = (): void => {
          pending = pending.filter((p) => p.again || p.update.update_id >= confirmedBelow);
          const out = pending.slice(0, Number(body.limit ?? 100));
          pending = pending.filter((p) => !(p.again && out.includes(p)));
          ok(res, out.map((p) => p.update));
        };
        const available = pending.some((p) => p.again || p.update.update_id >= confirmedBelow);
        if (available || !body.timeout) return answer();
        const wake = (): void => {
          clearTimeout(timer);
          pollWaiters.delete(wake);
          answer();
        };
        const timer = setTimeout(wake, Math.min(Number(body.timeout) * 1000, pollWaitMs));
        pollWaiters.add(wake);
        res.on("close", () => {
          clearTimeout(timer);
          pollWaiters.delete(wake);
        });
        return;
      }
      case "sendMessage": {
        const chatId = Number(body.chat_id);
        if (!Number.isFinite(chatId) && typeof body.chat_id !== "string") return fail(res, 400, "Bad Request: chat not found");
        const text = visibleText(body);
        if ("error" in text) return fail(res, 400, text.error);
        const markupError = checkMarkup(body.reply_markup);
        if (markupError) return fail(res, 400, markupError);
        const id = (nextMessageId.get(chatId) ?? 100) + 1;
        nextMessageId.set(chatId, id);
        const msg = { message_id: id, from: { id: bot.id, is_bot: true, first_name: "opsdeck", username: bot.username }, chat: { id: chatId, type: chatId < 0 ? "group" : "private" }, date: Math.floor(Date.now() / 1000), text: text.text, html: body.text, reply_markup: body.reply_markup };
        messages.set(`${chatId}:${id}`, msg);
        return ok(res, { ...msg, html: undefined });
      }
      case "editMessageText": {
        // Editing by chat_id + message_id (an inline_message_id is for inline-mode messages, which this bot never sends).
        if (body.chat_id === undefined || body.chat_id === "") return fail(res, 400, "Bad Request: chat_id is empty");
        if (body.message_id === undefined) return fail(res, 400, "Bad Request: message identifier is not specified");
        const key = `${Number(body.chat_id)}:${Number(body.message_id)}`;
        const old = messages.get(key);
        if (!old) return fail(res, 400, "Bad Request: message to edit not found");
        const text = visibleText(body);
        if ("error" in text) return fail(res, 400, text.error);
        const markupError = checkMarkup(body.reply_markup);
        if (markupError) return fail(res, 400, markupError);
        if (old.html === body.text && JSON.stringify(old.reply_markup ?? null) === JSON.stringify(body.reply_markup ?? null)) {
          return fail(res, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
        }
        const msg = { ...old, text: text.text, html: body.text, reply_markup: body.reply_markup, edit_date: Math.floor(Date.now() / 1000) };
        messages.set(key, msg);
        return ok(res, { ...msg, html: undefined });
      }
      case "answerCallbackQuery": {
        const q = callbackQueries.get(String(body.callback_query_id));
        if (!q || q.answered) return fail(res, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid");
        q.answered = true;
        return ok(res, true);
      }
      default:
        unexpected.push(name);
        return fail(res, 404, `Not Found (fake Telegram has no method ${name}; add it to test/fakes/fake-telegram-api.ts)`);
    }
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec((req.url ?? "").split("?")[0] ?? "");
      if (!m) {
        unexpected.push(`${req.method} ${req.url}`);
        return fail(res, 404, "Not Found");
      }
      if (m[1] !== opts.token) return fail(res, 401, "Unauthorized");
      let body: Json = {};
      const raw = Buffer.concat(chunks).toString("utf8");
      if (raw) {
        if (!String(req.headers["content-type"] ?? "").startsWith("application/json")) return fail(res, 400, "Bad Request: fake accepts JSON bodies only");
        body = JSON.parse(raw) as Json;
      }
      const call = { seq: ++seq, method: m[2] as string, body };
      calls.push(call);
      method(call.method, body, res);
      for (const w of [...waiters]) {
        if (w.pred(call)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(call);
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    calls,
    unexpected,
    messages,
    bot,
    queue(update, o) {
      if (update.callback_query) callbackQueries.set(String(update.callback_query.id), callbackQueries.get(String(update.callback_query.id)) ?? { answered: false });
      pending.push({ update, again: o?.again ?? false });
      for (const wake of [...pollWaiters]) wake();
    },
    textUpdate({ from, chat, text, updateId }) {
      const cmd = /^\/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?/.exec(text);
      return {
        update_id: updateId ?? nextUpdateId++,
        message: {
          message_id: Math.floor(Math.random() * 1e6),
          from: { ...from, is_bot: false },
          chat: chat.type === "private" ? { id: chat.id, type: "private", first_name: from.first_name } : { id: chat.id, type: chat.type, title: "ops" },
          date: Math.floor(Date.now() / 1000),
          text,
          ...(cmd ? { entities: [{ type: "bot_command", offset: 0, length: cmd[0].length }] } : {}),
        },
      };
    },
    callbackUpdate({ from, chatId, messageId, data, updateId }) {
      const message = messages.get(`${chatId}:${messageId}`);
      if (!message) throw new Error(`fake Telegram: no message ${chatId}:${messageId} to click on`);
      const id = String(nextCallbackId++);
      callbackQueries.set(id, { answered: false });
      return {
        update_id: updateId ?? nextUpdateId++,
        callback_query: { id, from: { ...from, is_bot: false }, chat_instance: "42", data, message: { ...message, html: undefined } },
      };
    },
    waitFor(pred, timeoutMs = 10_000) {
      const found = calls.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`fake Telegram: expected call not seen within ${timeoutMs} ms; saw: ${calls.map((c) => c.method).join(", ")}`)), timeoutMs);
        waiters.push({ pred, resolve: (c) => (clearTimeout(t), resolve(c)) });
      });
    },
    async close() {
      for (const wake of [...pollWaiters]) wake();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
