import { inspect } from "node:util";
import type { Logger as BoltLogger } from "@slack/bolt";
import { LogLevel } from "./bolt-modules.js";
import type { Logger } from "../../core/logger.js";

function line(parts: unknown[]): string {
  return parts.map((p) => (typeof p === "string" ? p : p instanceof Error ? p.message : inspect(p, { depth: 2, breakLength: Infinity }))).join(" ");
}

/**
 * Bolt and its Web API client log through this, so their lines go to our pino logger (which
 * redacts every line) instead of the console. pino's level decides what is written (and built);
 * the level kept here only answers Bolt's `getLevel()`.
 */
export function createBoltLogger(log: Logger): BoltLogger {
  let level: LogLevel = LogLevel.INFO;
  let name = "slack";
  return {
    // A line is built only when pino would write it: Bolt and its Web API client log at debug
    // several times per event, objects included, and `inspect` on each was measurable per command.
    debug: (...msg: unknown[]) => void (log.isLevelEnabled("debug") && log.debug({ component: name }, line(msg))),
    info: (...msg: unknown[]) => void (log.isLevelEnabled("info") && log.info({ component: name }, line(msg))),
    warn: (...msg: unknown[]) => void (log.isLevelEnabled("warn") && log.warn({ component: name }, line(msg))),
    error: (...msg: unknown[]) => void (log.isLevelEnabled("error") && log.error({ component: name }, line(msg))),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: (n: string) => {
      name = `slack:${n}`;
    },
  };
}
