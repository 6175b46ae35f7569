import { Secret } from "./secret.js";
import { MIN_FRAGMENT, SecretIndex } from "./secret-index.js";

export const REDACTED = "[REDACTED]";
/** Shorter secrets are not registered: hiding them would mangle ordinary text. Config refuses them. */
export const MIN_SECRET_LENGTH = 6;
export { MIN_FRAGMENT };

/** `Basic <base64>` is only a credential when it decodes to `user:password`. */
function basicCredential(match: string, prefix: string, value: string): string {
  return /^[\x20-\x7e]*:[\x20-\x7e]*$/.test(Buffer.from(value, "base64").toString("latin1")) ? `${prefix}${REDACTED}` : match;
}

type Replacement = string | ((match: string, ...groups: string[]) => string);
/**
 * Token shapes we never want to echo even when we did not generate them. The optional third
 * entry is a cheap test that must pass first: the two patterns without a literal start would
 * otherwise cost more than the whole known-secret pass.
 */
export const TOKEN_PATTERNS: Array<[RegExp, Replacement, RegExp?]> = [
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, REDACTED],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bxapp-[A-Za-z0-9-]{10,}/g, REDACTED],
  [/\bgh[pousr]_[A-Za-z0-9]{20,}/g, REDACTED],
  [/\bglpat-[A-Za-z0-9_-]{20,}/g, REDACTED],
  [/\b\d{6,12}:[A-Za-z0-9_-]{30,}/g, REDACTED], // Telegram bot token
  [/\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}\b/g, REDACTED], // Discord bot token
  // An Authorization header (any scheme), and Bearer tokens and Basic credentials anywhere.
  [/\b(Authorization["']?\s*[:=]\s*["']?(?:[A-Za-z-]+\s+)?)(?!\[REDACTED\])[^\s"',;]+/gi, `$1${REDACTED}`],
  [/\b(Bearer\s+)(?!\[REDACTED\])[A-Za-z0-9._~+/-]{8,}=*/g, `$1${REDACTED}`],
  [/\b(Basic\s+)([A-Za-z0-9+/]{6,}={0,2})(?![A-Za-z0-9+/=])/g, basicCredential],
  // user:password@ in any URL (also an empty user, as in redis://:pw@host).
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/\s@]*:)(?!\[REDACTED\]@)[^@\s]+@/gi, `$1${REDACTED}@`, /:\/\//],
  [/\b([A-Za-z0-9_]*(?:password|passwd|secret|token|api[_-]?key))(\s*[=:]\s*)(?!\[REDACTED\])("[^"]*"|'[^']*'|[^\s"',;]+)/gi, `$1$2${REDACTED}`, /password|passwd|secret|token|api[_-]?key/i],
];

/**
 * A necessary condition of every TOKEN_PATTERNS entry in one case-insensitive test (each
 * alternative is a substring any match of its pattern must contain; matching more is harmless): most
 * strings we redact (log fields, Block Kit labels) contain none, and then no pattern is run at all.
 * test/core/redact-precheck.test.ts checks that no pattern matches text this test refuses.
 */
export const MAY_HOLD_TOKEN = /-----BEGIN |xox[abposr]-|xapp-|gh[pousr]_|glpat-|\d{6}:|\.[\w-]{6}\.|authorization|bearer\s|basic\s|:\/\/|passwd|password|secret|token|api[_-]?key/i;

export interface Redactor {
  /** Replace every known secret, every 12+ character fragment of one, and token-shaped strings in `text`. */
  (text: string): string;
  /**
   * Register a secret so later calls hide it, including its base64, base64url, URL-encoded and
   * JSON-escaped forms. With a `scope` (e.g. `preview:<slug>`) it can be forgotten again with
   * `unregister(scope)`; without one it is kept for the life of the process.
   */
  add(secret: Secret | string, scope?: string): void;
  /** Forget the secrets registered under `scope`, except those also registered without it or under another scope. */
  unregister(scope: string): void;
  /** Deep-redact a JSON-like value (strings inside objects and arrays). */
  value<T>(input: T): T;
  /** How many secrets (not forms) are registered. */
  readonly size: number;
}

/** The forms in which a secret shows up in text we echo: as is, encoded, or inside JSON. */
function formsOf(raw: string): string[] {
  const bytes = Buffer.from(raw, "utf8");
  return [...new Set([raw, bytes.toString("base64"), bytes.toString("base64url"), encodeURIComponent(raw), JSON.stringify(raw).slice(1, -1)])];
}

/**
 * The one redaction function used for replies, logs, alerts and the audit trail. Known secrets
 * are found in one pass whatever their number (`SecretIndex`), so registering every preview's
 * credentials costs nothing per call; fragments of at least 12 characters are hidden too, since
 * a truncated echo of a token is most of the token.
 * Secrets shorter than 6 characters are not registered (`readSecretEnv` refuses them at start).
 */
export function createRedactor(initial: Array<Secret | string> = []): Redactor {
  const index = new SecretIndex();
  /** Secret → the scopes holding it ("" = unscoped, held forever). */
  const holders = new Map<string, Set<string>>();
  const byScope = new Map<string, Set<string>>();
  /** Form → how many registered secrets produce it. */
  const formCount = new Map<string, number>();

  const redact = ((text: string): string => {
    let out = text;
    const ranges = index.find(out);
    if (ranges.length > 0) {
      let built = "";
      let at = 0;
      for (const [s, e] of ranges) {
        built += out.slice(at, s) + REDACTED;
        at = e;
      }
      out = built + out.slice(at);
    }
    if (!MAY_HOLD_TOKEN.test(out)) return out;
    for (const [re, replacement, guard] of TOKEN_PATTERNS) {
      if (guard && !guard.test(out)) continue;
      out = typeof replacement === "string" ? out.replace(re, replacement) : out.replace(re, replacement as (m: string, ...g: string[]) => string);
    }
    return out;
  }) as Redactor;

  redact.add = (secret: Secret | string, scope = ""): void => {
    const raw = secret instanceof Secret ? secret.reveal() : secret;
    if (raw.length < MIN_SECRET_LENGTH) return;
    let scopes = holders.get(raw);
    if (!scopes) {
      scopes = new Set();
      holders.set(raw, scopes);
      for (const f of formsOf(raw)) {
        const c = formCount.get(f) ?? 0;
        formCount.set(f, c + 1);
        if (c === 0) index.add(f);
      }
    }
    scopes.add(scope);
    if (scope !== "") {
      const set = byScope.get(scope) ?? new Set<string>();
      set.add(raw);
      byScope.set(scope, set);
    }
  };

  redact.unregister = (scope: string): void => {
    const raws = byScope.get(scope);
    if (!raws || scope === "") return;
    byScope.delete(scope);
    for (const raw of raws) {
      const scopes = holders.get(raw);
      if (!scopes) continue;
      scopes.delete(scope);
      if (scopes.size > 0) continue;
      holders.delete(raw);
      for (const f of formsOf(raw)) {
        const c = (formCount.get(f) ?? 1) - 1;
        if (c > 0) formCount.set(f, c);
        else {
          formCount.delete(f);
          index.remove(f);
        }
      }
    }
  };

  Object.defineProperty(redact, "size", { get: () => holders.size });

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
