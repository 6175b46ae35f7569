import type { InlineKeyboardButton } from "telegraf/types";
import type { Reply } from "../../core/command.js";
import { CUT_NOTE, STATUS_ICON, truncate } from "../render-common.js";

/** Bot API limits: message text (after entity parsing) and callback data. */
export const TELEGRAM_LIMITS = {
  text: 4096,
  callbackData: 64,
  buttons: 100,
  buttonsPerRow: 3,
} as const;

export interface TelegramMessage {
  /** HTML for `parse_mode: "HTML"`; every string from the reply is escaped. */
  html: string;
  keyboard: InlineKeyboardButton.CallbackButton[][];
}

/** Escape for Telegram's HTML parse mode: `&`, `<`, `>` and `"` become entities. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A `<pre>` block within `max` characters of HTML, keeping the end of the text (a log's end explains it). */
function preBlock(code: string, max: number): string {
  const open = "<pre>";
  const close = "</pre>";
  const full = escapeHtml(code);
  if (full.length + open.length + close.length <= max) return `${open}${full}${close}`;
  const note = CUT_NOTE;
  let tail = full.slice(Math.max(0, full.length - (max - open.length - close.length - note.length)));
  // Never start inside an entity such as `&amp;`, and prefer a whole first line.
  const nl = tail.indexOf("\n");
  if (nl >= 0 && nl < tail.length - 1) tail = tail.slice(nl + 1);
  else tail = tail.replace(/^[^&;]*;/, "");
  return `${open}${note}${tail}${close}`;
}

/**
 * Reply → Telegram HTML plus an inline keyboard. The text stays within 4096 characters: the
 * head (title, lines, fields, next step) is cut first to 3/4 when a log is present, and the log
 * keeps its tail. `callbackData[i]` is the callback data of `reply.buttons[i]` (≤ 64 bytes).
 */
export function renderTelegramReply(reply: Reply, callbackData: readonly string[] = []): TelegramMessage {
  const parts: string[] = [`<b>${escapeHtml(`${STATUS_ICON[reply.status]} ${truncate(reply.title, 256)}`)}</b>`];
  for (const line of reply.lines ?? []) parts.push(escapeHtml(truncate(line, TELEGRAM_LIMITS.text)));
  const fields = reply.fields ?? [];
  if (fields.length > 0) parts.push("", ...fields.map((f) => `<b>${escapeHtml(truncate(f.label, 256))}:</b> ${escapeHtml(truncate(f.value, 1024))}`));
  if (reply.nextStep) parts.push("", `<i>Next step:</i> ${escapeHtml(truncate(reply.nextStep, 1024))}`);

  let head = parts.join("\n");
  const headMax = reply.code ? Math.floor((TELEGRAM_LIMITS.text * 3) / 4) : TELEGRAM_LIMITS.text;
  if (head.length > headMax) {
    // Cut between lines so no tag or entity is split; the first line (the title) always stays.
    const kept: string[] = [];
    let len = 0;
    const suffix = "\n…";
    for (const p of head.split("\n")) {
      if (len + p.length + 1 > headMax - suffix.length && kept.length > 0) break;
      kept.push(p.length > headMax - suffix.length ? "…" : p);
      len += p.length + 1;
    }
    head = `${kept.join("\n")}${suffix}`;
  }
  const html = reply.code ? `${head}\n${preBlock(reply.code, TELEGRAM_LIMITS.text - head.length - 1)}` : head;

  const buttons = (reply.buttons ?? []).slice(0, TELEGRAM_LIMITS.buttons);
  const keyboard: InlineKeyboardButton.CallbackButton[][] = [];
  buttons.forEach((b, i) => {
    const data = callbackData[i];
    if (!data || Buffer.byteLength(data, "utf8") > TELEGRAM_LIMITS.callbackData) throw new Error(`button ${i} needs callback data of 1–${TELEGRAM_LIMITS.callbackData} bytes`);
    if (i % TELEGRAM_LIMITS.buttonsPerRow === 0) keyboard.push([]);
    keyboard[keyboard.length - 1]?.push({ text: truncate(b.label, 64), callback_data: data });
  });
  return { html, keyboard };
}
