import type { Update } from "telegraf/types";
import type { Logger } from "../../core/logger.js";
import type { TelegramHighWaterMark } from "../../store/state.js";
import type { Store } from "../../store/store.js";

/**
 * Telegram numbers updates in increasing order, except that after a week without updates the next
 * id is chosen at random. Below the mark an update is accepted only after such a silence, and only
 * when the update itself is dated at least this long after the mark (no processed update can be).
 */
const SILENCE_MS = 6 * 86_400_000;
/** Callback query ids are remembered this long (a click can be answered for a few seconds only). */
const CALLBACK_MEMORY_MS = 30 * 60_000;

export interface UpdateHighWater {
  /**
   * True when the update is new: above the bot's persisted high-water mark and not a callback query
   * seen before. The decision is taken synchronously (in delivery order); the raised mark is written
   * to the state file before the promise resolves, so nothing runs before it is durable.
   */
  accept(update: Update, botId: string): Promise<boolean>;
}

function dateOf(update: Update): number | undefined {
  if ("message" in update) return update.message.date;
  if ("edited_message" in update) return update.edited_message.date;
  if ("callback_query" in update) return update.callback_query.message?.date;
  return undefined;
}

/** Owns `State.telegramHighWater`: the highest `update_id` processed per bot, kept across restarts. */
export function createUpdateHighWater(options: { store?: Store; clock: () => Date; log: Logger }): UpdateHighWater {
  const { store, clock, log } = options;
  const marks = new Map<string, TelegramHighWaterMark>();
  const callbacks = new Map<string, number>();

  function markOf(botId: string): TelegramHighWaterMark | undefined {
    if (!marks.has(botId)) {
      const stored = store?.read().telegramHighWater?.[botId];
      if (stored) marks.set(botId, stored);
    }
    return marks.get(botId);
  }

  function decide(update: Update, botId: string, now: number): boolean {
    const id = update.update_id;
    const callbackId = "callback_query" in update ? update.callback_query.id : undefined;
    for (const [k, at] of callbacks) if (now - at > CALLBACK_MEMORY_MS) callbacks.delete(k);
    if (callbackId !== undefined && callbacks.has(callbackId)) {
      log.info({ update: id }, "Telegram callback query delivered again; ignored");
      return false;
    }
    const mark = markOf(botId);
    if (mark && id <= mark.updateId) {
      const since = Date.parse(mark.at);
      const dated = (dateOf(update) ?? 0) * 1000;
      if (!(now - since >= SILENCE_MS && dated - since >= SILENCE_MS)) {
        log.warn({ update: id, highWater: mark.updateId }, "Telegram update at or below the last processed update_id refused (a replay or a re-delivery)");
        return false;
      }
      log.warn({ update: id, highWater: mark.updateId }, "Telegram update ids restarted lower after a silence; accepting the new sequence");
    }
    marks.set(botId, { updateId: id, at: new Date(now).toISOString() });
    if (callbackId !== undefined) callbacks.set(callbackId, now);
    return true;
  }

  return {
    async accept(update, botId) {
      if (!decide(update, botId, clock().getTime())) return false;
      if (store) {
        await store.update((s) => {
          const latest = marks.get(botId);
          if (latest) s.telegramHighWater = { ...s.telegramHighWater, [botId]: latest };
        });
      }
      return true;
    },
  };
}
