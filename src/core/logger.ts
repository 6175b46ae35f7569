import { pino, type Logger, type DestinationStream } from "pino";
import { REDACTED, type Redactor } from "./redact.js";
import { Secret } from "./secret.js";

export type { Logger };

/** A copy of `err` (same prototype, so pino still names its type) with every own property redacted. */
function redactError(redact: Redactor, err: Error, depth: number): Error {
  const copy = Object.create(Object.getPrototypeOf(err) as object) as Error;
  for (const key of Object.getOwnPropertyNames(err)) {
    const d = Object.getOwnPropertyDescriptor(err, key);
    const value: unknown = Reflect.get(err, key);
    Object.defineProperty(copy, key, { value: redactArg(redact, value, depth + 1), enumerable: d?.enumerable ?? false, writable: true, configurable: true });
  }
  return copy;
}

/**
 * Redact a log argument before pino serialises it: a secret holding `"` or `\` is escaped in the
 * JSON line and would no longer match there. Errors are copied with their text redacted, so
 * pino's error serialiser still gives `{ type, message, stack, … }`.
 */
function redactArg(redact: Redactor, v: unknown, depth = 0): unknown {
  if (typeof v === "string") return redact(v);
  if (v instanceof Secret) return REDACTED;
  if (depth > 8 || v === null || typeof v !== "object") return v;
  if (v instanceof Error) return redactError(redact, v, depth);
  if (Array.isArray(v)) return v.map((x) => redactArg(redact, x, depth + 1));
  if (Object.getPrototypeOf(v) !== Object.prototype && Object.getPrototypeOf(v) !== null) return v;
  const out: Record<string, unknown> = {};
  for (const [k, val] of Object.entries(v)) out[k] = redactArg(redact, val, depth + 1);
  return out;
}

/**
 * pino whose arguments are redacted before serialisation (`hooks.logMethod`), and whose lines
 * are passed through the redactor once more before they are written (child bindings, and
 * anything pino added), so a secret that slipped into a message or an error never reaches the log.
 */
export function createLogger(options: { level: string; redact: Redactor; destination?: DestinationStream }): Logger {
  const { redact } = options;
  const dest = options.destination ?? pino.destination({ dest: 2, sync: true });
  const redacting: DestinationStream = {
    write(line: string) {
      dest.write(redact(line));
    },
  };
  return pino(
    {
      level: options.level,
      base: { app: "opsdeck" },
      hooks: {
        logMethod(args, method) {
          const [first, ...rest] = args as unknown[];
          const safe = [redactArg(redact, first), ...rest.map((a) => redactArg(redact, a))] as Parameters<typeof method>;
          method.apply(this, safe);
        },
      },
    },
    redacting,
  );
}
