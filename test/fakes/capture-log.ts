// A real pino logger (through createLogger and the redactor) whose lines are kept for assertions.
import { createLogger, type Logger } from "../../src/core/logger.js";
import { createRedactor, type Redactor } from "../../src/core/redact.js";

export interface CapturedLog {
  log: Logger;
  redact: Redactor;
  /** Every line written so far, raw text. */
  lines: string[];
  /** Parsed lines whose `msg` matches. */
  entries(msg: RegExp): Array<Record<string, unknown>>;
}

export function captureLog(secrets: string[] = []): CapturedLog {
  const redact = createRedactor(secrets);
  const lines: string[] = [];
  const log = createLogger({ level: "debug", redact, destination: { write: (line: string) => void lines.push(line) } });
  return {
    log,
    redact,
    lines,
    entries: (msg) =>
      lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => typeof e["msg"] === "string" && msg.test(e["msg"])),
  };
}
