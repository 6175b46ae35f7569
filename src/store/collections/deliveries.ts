import { z } from "zod";
import { type Known, record } from "./known.js";

/** `state.deliveries`: persisted delivery ids (owned by src/store/delivery-ledger.ts, bounded by its retention). */
export const DeliveryRecord = record({ key: z.string(), at: z.string() });
export type DeliveryRecord = Known<z.infer<typeof DeliveryRecord>>;

/** `state.telegramHighWater`: highest Telegram `update_id` processed per bot id (owned by src/bot/telegram/update-high-water.ts). */
export const TelegramHighWaterMark = record({
  updateId: z.number(),
  /** When it was raised (ISO time). */
  at: z.string(),
});
export type TelegramHighWaterMark = Known<z.infer<typeof TelegramHighWaterMark>>;
