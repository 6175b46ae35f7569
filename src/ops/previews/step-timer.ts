import type { Logger } from "../../core/logger.js";

/** A named step of an operation and the ms since it began; logged at debug level. */
export type StepMark = (step: string) => void;

/**
 * Timing marks for one preview operation: each call logs `{ slug, step, ms }` (ms since the
 * timer was made) at debug level, so `log_level: debug` shows where a deploy's time goes.
 */
export function stepTimer(log: Pick<Logger, "debug">, slug: string): StepMark {
  const t0 = performance.now();
  return (step) => log.debug({ slug, step, ms: Math.round(performance.now() - t0) }, "preview step");
}
