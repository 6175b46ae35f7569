import type { ReplyStatus } from "../core/command.js";

/** The icon each platform's rendering puts before a reply's title. */
export const STATUS_ICON: Record<ReplyStatus, string> = { info: "ℹ️", progress: "⏳", success: "✅", warning: "⚠️", failure: "❌" };

/** First line of a code block whose start was cut to fit a platform's limit. */
export const CUT_NOTE = "… (earlier lines cut; the full text is in opsdeck's log)\n";

/** Cut `text` to `max` characters, marking the cut. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}
