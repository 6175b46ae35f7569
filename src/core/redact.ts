import { Secret } from "./secret.js";

export const REDACTED = "[REDACTED]";


/** Token shapes we never want to echo even when we did not generate them. */
const TOKEN_PATTERNS: Array<[RegExp, string]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, REDACTED],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bxapp-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, REDACTED],
  [/\bglpat-[A-Za-z0-9_-]{20,}/g, REDACTED],
  [/\b\d{6,12}:[A-Za-z0-9_-]{30,}/g, REDACTED], // Telegram bot token
  [/\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}\b/g, REDACTED], // Discord bot token
  [/\b((?:postgres(?:ql)?|mysql|redis|amqp|mongodb(?:\+srv)?):\/\/[^:/\s]+:)[^@\s]+@/g, `$1${REDACTED}@`],
  [/\b([A-Za-z0-9_]*(?:password|passwd|secret|token|api[_-]?key))(\s*[=:]\s*)(?!\[REDACTED\])("[^"]*"|'[^']*'|[^\s"',;]+)/gi, `$1$2${REDACTED}`],
];

export interface Redactor {
  /** Replace every known secret and token-shaped string in `text`. */
  (text: string): string;
  /** Register a secret so later calls hide it, including its base64 and URL-encoded forms. */
  add(secret: Secret | string): void;
  /** Deep-redact a JSON-like value (strings inside objects and arrays). */
  value<T>(input: T): T;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * The one redaction function used for replies, logs and the audit trail.
 * Secrets shorter than 6 characters are not registered: replacing them would mangle ordinary
 * text and they are too short to be worth anything anyway.
 */
export function createRedactor(initial: Array<Secret | string> = []): Redactor {
  const known = new Set<string>();
  let pattern: RegExp | null = null;

  const rebuild = (): void => {
    const forms = [...known].sort((a, b) => b.length - a.length).map(escapeRegExp);
    pattern = forms.length > 0 ? new RegExp(forms.join("|"), "g") : null;
  };

  const redact = ((text: string): string => {
    let out = text;
    if (pattern) out = out.replace(pattern, REDACTED);
    for (const [re, replacement] of TOKEN_PATTERNS) out = out.replace(re, replacement);
    return out;
  }) as Redactor;

  redact.add = (secret: Secret | string): void => {
    const raw = secret instanceof Secret ? secret.reveal() : secret;
    // Secrets are registered on every read (backups, seeds…): skip the rebuild when nothing is new.
    if (raw.length < 6 || known.has(raw)) return;
    known.add(raw);
    known.add(Buffer.from(raw, "utf8").toString("base64"));
    known.add(Buffer.from(raw, "utf8").toString("base64url"));
    known.add(encodeURIComponent(raw));
    rebuild();
  };

  redact.value = <T>(input: T): T => {
    const walk = (v: unknown): unknown => {
      if (typeof v === "string") return redact(v);
      if (v instanceof Secret) return REDACTED;
      if (Array.isArray(v)) return v.map(walk);
      if (v && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, val] of Object.entries(v)) out[k] = walk(val);
        return out;
      }
      return v;
    };
    return walk(input) as T;
  };

  for (const s of initial) redact.add(s);
  return redact;
}
