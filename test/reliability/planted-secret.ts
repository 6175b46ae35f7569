// One planted secret (the bot's Slack signing secret, so the bot knows it as a secret) and the
// forms it must never appear in: plain, base64, URL-encoded and JSON-escaped.
import { randomBytes } from "node:crypto";

/** Printable ASCII, no spaces; `"` and `\` make the JSON form differ, `/+&=?` the URL form. */
export const PLANTED = `Pl4nt"ed\\S1g/n+ing&K=${randomBytes(6).toString("hex")}?x`;

export const PLANTED_FORMS: Record<string, string> = {
  plain: PLANTED,
  base64: Buffer.from(PLANTED).toString("base64"),
  url: encodeURIComponent(PLANTED),
  json: JSON.stringify(PLANTED).slice(1, -1),
};

/** The text a failing step prints: every form once. */
export const LEAKY_OUTPUT = `token=${PLANTED_FORMS.plain}\nb64=${PLANTED_FORMS.base64}\nurl=${PLANTED_FORMS.url}\njson={"k":"${PLANTED_FORMS.json}"}\n`;

function occurrences(haystack: string, needle: string): number {
  let n = 0;
  for (let i = haystack.indexOf(needle); i !== -1; i = haystack.indexOf(needle, i + 1)) n += 1;
  return n;
}

/** Every occurrence of a planted form in the named texts, as `where: form` notes. */
export function findLeaks(texts: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [where, text] of Object.entries(texts)) {
    for (const [form, value] of Object.entries(PLANTED_FORMS)) {
      const n = occurrences(text, value);
      for (let i = 0; i < n; i++) found.push(`${form} form in ${where}`);
    }
  }
  return found;
}
