import type { Redactor } from "../../core/redact.js";

export interface OutputTailOptions {
  maxLines?: number;
  maxChars?: number;
  /** Raw output kept for redaction; a secret is matched only while it is entirely inside this window. */
  windowChars?: number;
}

export interface OutputTail {
  push(chunk: string): void;
  /** The redacted last lines (at most `maxLines` lines and `maxChars` characters). */
  text(): string;
  /** Whether anything was cut off the front. */
  truncated(): boolean;
}

/**
 * Keeps the end of a command's output for a chat message. Redaction runs on a window of raw output
 * much larger than what is shown, and before cutting, so a secret is never shown in part.
 */
export function createOutputTail(redact: Redactor, options: OutputTailOptions = {}): OutputTail {
  const maxLines = options.maxLines ?? 40;
  const maxChars = options.maxChars ?? 3000;
  const windowChars = options.windowChars ?? 64 * 1024;
  let raw = "";
  let dropped = false;

  function cut(): { text: string; cut: boolean } {
    const safe = redact(raw).replace(/\r\n?/g, "\n");
    let lines = safe.split("\n");
    if (lines.length > 0 && lines[lines.length - 1] === "") lines = lines.slice(0, -1);
    let cutOff = lines.length > maxLines;
    let text = lines.slice(-maxLines).join("\n");
    if (text.length > maxChars) {
      cutOff = true;
      text = text.slice(-maxChars);
      const nl = text.indexOf("\n");
      // Start at a line boundary when one is near, so the first line is not a fragment.
      if (nl >= 0 && nl < 200) text = text.slice(nl + 1);
    }
    return { text, cut: cutOff };
  }

  return {
    push(chunk) {
      raw += chunk;
      if (raw.length > windowChars) {
        const from = raw.length - windowChars;
        const nl = raw.indexOf("\n", from);
        raw = raw.slice(nl >= 0 && nl - from < 4096 ? nl + 1 : from);
        dropped = true;
      }
    },
    text: () => cut().text,
    truncated: () => dropped || cut().cut,
  };
}
