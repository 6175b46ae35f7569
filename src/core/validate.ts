import type { Command } from "./command.js";
import { OpsError } from "./errors.js";
import type { Redactor } from "./redact.js";

export const MAX_COMMAND_LENGTH = 2000;

/** Names for the invisible characters people (and attackers) most often paste. */
const KNOWN_INVISIBLE: Record<number, string> = {
  0x00a0: "no-break space",
  0x00ad: "soft hyphen",
  0x061c: "Arabic letter mark",
  0x200b: "zero-width space",
  0x200c: "zero-width non-joiner",
  0x200d: "zero-width joiner",
  0x200e: "left-to-right mark",
  0x200f: "right-to-left mark",
  0x202a: "left-to-right embedding",
  0x202b: "right-to-left embedding",
  0x202c: "pop directional formatting",
  0x202d: "left-to-right override",
  0x202e: "right-to-left override",
  0x2060: "word joiner",
  0x2066: "left-to-right isolate",
  0x2067: "right-to-left isolate",
  0x2068: "first strong isolate",
  0x2069: "pop directional isolate",
  0xfeff: "zero-width no-break space (byte order mark)",
};

/** `U+202E (right-to-left override)`, `U+0009 (a control character)`, `U+00E9`. */
export function describeCodePoint(cp: number): string {
  const hex = `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;
  const name = Object.hasOwn(KNOWN_INVISIBLE, cp) ? KNOWN_INVISIBLE[cp] : cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp < 0xa0) ? "a control character" : /\p{Cf}/u.test(String.fromCodePoint(cp)) ? "a format character" : undefined;
  return name ? `${hex} (${name})` : hex;
}

/**
 * The first character of `text` outside printable ASCII (U+0020..U+007E), with its 1-based
 * position in code points, or undefined. This is the allowlist DESIGN names: anything else —
 * controls, bidi overrides, zero-width and other format characters, any non-ASCII letter left
 * after NFKC — could hide what a command really says, in chat, in the audit log or on a host.
 */
export function findDisallowedChar(text: string): { codePoint: number; position: number } | undefined {
  let position = 0;
  for (const ch of text) {
    position++;
    const codePoint = ch.codePointAt(0) ?? 0;
    if (codePoint < 0x20 || codePoint > 0x7e) return { codePoint, position };
  }
  return undefined;
}

/** Throws `OpsError("bad_input")` naming the first character outside printable ASCII. */
export function assertPrintableAscii(text: string): void {
  const bad = findDisallowedChar(text);
  if (!bad) return;
  if (bad.codePoint === 0x0a || bad.codePoint === 0x0d) {
    throw new OpsError("bad_input", `the command contains a line break (position ${bad.position})`, "Type the command on one line.");
  }
  throw new OpsError(
    "bad_input",
    `the command contains ${describeCodePoint(bad.codePoint)} at position ${bad.position}; commands are printable ASCII only`,
    "Retype the command by hand: pasted text can carry invisible or direction-changing characters.",
  );
}

/** `text` with every character outside printable ASCII shown as `<U+202E>`: safe to record and echo. */
export function showDisallowedChars(text: string): string {
  return Array.from(text, (ch) => {
    const cp = ch.codePointAt(0) ?? 0;
    return cp < 0x20 || cp > 0x7e ? `<U+${cp.toString(16).toUpperCase().padStart(4, "0")}>` : ch;
  }).join("");
}

/**
 * The refusal for a command whose name or arguments are not printable ASCII, or undefined.
 * The router checks every command here, whatever front end built it (typed text, a button
 * value, a job), before anything else reads it.
 */
export function commandInputRefusal(command: { name: string; args: string[] }): OpsError | undefined {
  try {
    assertPrintableAscii([`/${command.name}`, ...command.args].join(" "));
    return undefined;
  } catch (err) {
    if (err instanceof OpsError) return err;
    throw err;
  }
}

/**
 * Refuse a command whose name or arguments hold a known secret, a 12+ character fragment of one
 * or a token-shaped string. Handlers echo bad arguments truncated, escaped or masked (`"abc?ef…"`),
 * and the reply's redaction cannot match those transformed forms, so the raw text is checked
 * here, before any handler sees it.
 */
export function refuseTypedSecret(redact: Redactor, command: Command): void {
  const leaked = [command.name, ...command.args].some((part) => redact(part) !== part);
  if (leaked) {
    throw new OpsError(
      "bad_input",
      "the command contains a secret or a token, so it was not run (it is not echoed here)",
      "Never type credentials in chat. If it was a real one, rotate it now; then type the command without it.",
    );
  }
}

/**
 * Normalise chat text: Unicode NFKC (full-width and look-alike forms fold to ASCII where they
 * can), then refuse anything but printable ASCII. Newlines in a command are refused: nothing
 * we accept spans lines.
 */
export function normalizeInput(text: string): string {
  const t = text.normalize("NFKC").trim();
  if (t.length > MAX_COMMAND_LENGTH) {
    throw new OpsError("bad_input", `the command is ${t.length} characters long; the limit is ${MAX_COMMAND_LENGTH}`, "Shorten it and try again.");
  }
  assertPrintableAscii(t);
  return t;
}

/** Split `"/preview feature-x --ttl 2d"` into name and args. */
export function splitCommand(text: string): { name: string; args: string[] } {
  const t = normalizeInput(text);
  const parts = t.split(/\s+/).filter((p) => p.length > 0);
  const head = parts.shift() ?? "";
  const name = head.replace(/^\//, "").toLowerCase();
  return { name, args: parts };
}

/** Escape text that is echoed back so it cannot ping (`@everyone`, `<!channel>`) or link. */
export function escapeEcho(text: string, max = 80): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(/[<>@`*_~|\[\]]/g, (c) => `\\${c}`);
}

export const MAX_REF_LENGTH = 128;

/** `sha-` and 7..40 lowercase hex digits: the image tag CI gives a commit. */
const SHA_TAG = /^sha-[0-9a-f]{7,40}$/;
/** A semver tag with optional `v`, pre-release and build parts (semver.org's grammar, `+` excluded: not valid in image tags). */
const SEMVER_TAG = /^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/;
/** Whatever a pattern says, a ref must also be a valid image tag: this is the outer bound. */
const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Check a ref typed in chat before anything runs: `sha-<7..40 hex>`, a semver tag, or the
 * environment's `ref_pattern`. The result is always a valid Docker image tag, so it is safe in
 * `.env` and on a command line (and is still quoted there).
 */
export function validateRef(ref: string | undefined, refPattern?: string): string {
  const expected = refPattern ? `a tag matching ${refPattern}` : "sha-<7..40 hex digits> (e.g. sha-1a2b3c4) or a semver tag (e.g. v1.4.2)";
  if (ref === undefined || ref.length === 0) {
    throw new OpsError("bad_input", "no ref given", `Name the image tag to deploy: ${expected}.`);
  }
  if (ref.length > MAX_REF_LENGTH) {
    throw new OpsError("bad_input", `the ref is ${ref.length} characters long; the limit is ${MAX_REF_LENGTH}`, `Use ${expected}.`);
  }
  const matchesPattern = refPattern ? new RegExp(refPattern).test(ref) : SHA_TAG.test(ref) || SEMVER_TAG.test(ref);
  if (!matchesPattern || !IMAGE_TAG.test(ref)) {
    throw new OpsError("bad_input", `"${escapeEcho(ref, 40)}" is not a valid ref`, `Use ${expected}.`);
  }
  return ref;
}
