/**
 * Slack treats `&`, `<` and `>` as control characters in every text object: `<!channel>`,
 * `<@U123>` and `<https://x|label>` are parsed from them. Escaping exactly these three (and no
 * others: Slack decodes only these entities) makes user text display literally and never ping.
 */
export function escapeSlack(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * Escape `text` and cut it so the escaped result is at most `max` characters, ending in `…`
 * when cut. Cutting happens on the raw text, so an entity such as `&amp;` is never split.
 */
export function fitSlack(text: string, max: number): string {
  const escaped = escapeSlack(text);
  if (escaped.length <= max) return escaped;
  let keep = Math.min(text.length, max - 1);
  let out = `${escapeSlack(text.slice(0, keep))}…`;
  while (out.length > max && keep > 0) {
    keep -= Math.max(1, Math.ceil((out.length - max) / 5));
    out = `${escapeSlack(text.slice(0, Math.max(0, keep)))}…`;
  }
  return out;
}

/**
 * Keep the end of a long log (the end is where the error is), escaped, within `max` characters,
 * with a first line saying how much was left out. Triple backticks inside are broken up so the
 * text cannot close the surrounding code block.
 */
export function fitSlackTail(text: string, max: number): string {
  const safe = text.replace(/```/g, "`\u200b``");
  const escaped = escapeSlack(safe);
  if (escaped.length <= max) return escaped;
  const noteFor = (dropped: number): string => `… ${dropped} earlier characters not shown\n`;
  let start = Math.max(0, safe.length - max);
  let out = noteFor(start) + escapeSlack(safe.slice(start));
  while (out.length > max && start < safe.length) {
    start += Math.max(1, Math.ceil((out.length - max) / 5));
    out = noteFor(start) + escapeSlack(safe.slice(start));
  }
  return out;
}

/**
 * Slack sends `&`, `<` and `>` in typed text as entities; turn them back into characters before
 * the text is parsed as a command (it is escaped again on the way out).
 */
export function unescapeSlack(text: string): string {
  return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
