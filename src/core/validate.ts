import { OpsError } from "./errors.js";

export const MAX_COMMAND_LENGTH = 2000;

/**
 * Normalise chat text: Unicode NFKC (full-width and look-alike forms fold to ASCII where they
 * can), then reject control characters other than space. Newlines in a command are refused:
 * nothing we accept spans lines.
 */
export function normalizeInput(text: string): string {
  const t = text.normalize("NFKC").trim();
  if (t.length > MAX_COMMAND_LENGTH) {
    throw new OpsError("bad_input", `the command is ${t.length} characters long; the limit is ${MAX_COMMAND_LENGTH}`, "Shorten it and try again.");
  }
  if (/[\u0000-\u001f\u007f]/.test(t)) {
    throw new OpsError("bad_input", "the command contains a line break or a control character", "Type the command on one line.");
  }
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
