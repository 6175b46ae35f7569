import { z } from "zod";
import { type Known, record } from "./known.js";

/**
 * `state.buttonRefs`: button id → what a click does (owned by src/bot/button-refs.ts). `run`
 * dispatches `command` (after asking first when `confirm` is set); `confirmed` dispatches it
 * without asking again; `cancel` dismisses a prompt.
 */
export const ButtonRef = record({
  kind: z.enum(["run", "confirmed", "cancel"]),
  command: z.string(),
  confirm: z.string().optional(),
  expiresAt: z.string(),
});
export type ButtonRef = Known<z.infer<typeof ButtonRef>>;
