import { pino, type Logger, type DestinationStream } from "pino";
import type { Redactor } from "./redact.js";

export type { Logger };

/**
 * pino with every log line passed through the redactor before it is written, so a secret
 * that slipped into a message or an error's text still never reaches the log.
 */
export function createLogger(options: { level: string; redact: Redactor; destination?: DestinationStream }): Logger {
  const dest = options.destination ?? pino.destination({ dest: 2, sync: true });
  const redacting: DestinationStream = {
    write(line: string) {
      dest.write(options.redact(line));
    },
  };
  return pino({ level: options.level, base: { app: "opsdeck" } }, redacting);
}
