import pRetry, { AbortError } from "p-retry";
import { OpsError } from "../core/errors.js";
import type { Reply } from "../core/command.js";
import type { Logger } from "../core/logger.js";
import type { AlertTarget, Notifier } from "../core/notifier.js";
import type { Redactor } from "../core/redact.js";

export interface AlertNotifierOptions {
  log: Logger;
  /** Every alert is redacted here, once, before any target sees it: callers pass raw replies. */
  redact: Redactor;
  /** Retries after the first failed post, per target. Default 4. */
  retries?: number;
  /** First back-off delay; doubles on each retry up to `maxTimeoutMs`. Default 1 s. */
  minTimeoutMs?: number;
  maxTimeoutMs?: number;
}

/**
 * Posts an alert to every platform's alert channel at once. Each target has its own retry loop
 * with exponential back-off, so a platform that is down delays nobody else; every failed attempt
 * is logged, and a target that still fails after the last retry is logged as an error.
 * `notify` resolves once every target has succeeded or given up, and never rejects: an alert
 * that could not be delivered must not fail the job or operation that raised it.
 * This is the one redaction boundary for alerts: targets render what they are given.
 */
export function createAlertNotifier(targets: AlertTarget[], options: AlertNotifierOptions): Notifier {
  const log = options.log.child({ component: "alert-notifier" });
  const retries = options.retries ?? 4;
  const minTimeout = options.minTimeoutMs ?? 1000;
  const maxTimeout = options.maxTimeoutMs ?? 30_000;

  const deliver = async (target: AlertTarget, reply: Reply): Promise<void> => {
    try {
      const attempt = (): Promise<void> =>
        target.post(reply).catch((err: unknown) => {
          // A missing alert channel will not fix itself between attempts.
          throw err instanceof OpsError && err.code === "config" ? new AbortError(err) : err;
        });
      await pRetry(attempt, {
        retries,
        factor: 2,
        minTimeout,
        maxTimeout,
        onFailedAttempt: (error) => {
          log.warn(
            { platform: target.platform, attempt: error.attemptNumber, retriesLeft: error.retriesLeft, err: { message: error.message } },
            `alert post to ${target.platform} failed (attempt ${error.attemptNumber})`,
          );
        },
      });
    } catch (err) {
      const reason = err instanceof OpsError && err.code === "config" ? `${err.message} — ${err.nextStep}` : `gave up after ${retries + 1} attempts`;
      log.error({ platform: target.platform, title: reply.title, err: { message: (err as Error).message } }, `alert could not be posted to ${target.platform}: ${reason}`);
    }
  };

  return {
    async notify(reply: Reply): Promise<void> {
      const safe = options.redact.value(reply);
      await Promise.allSettled(targets.map((t) => deliver(t, safe)));
    },
    async edit(ref, reply): Promise<boolean> {
      const target = targets.find((t) => t.platform === ref.platform && t.edit);
      if (!target?.edit) return false;
      try {
        await target.edit(ref, options.redact.value(reply));
        return true;
      } catch (err) {
        log.warn({ platform: ref.platform, channel: ref.channel, err: { message: (err as Error).message } }, `could not edit message ${ref.id} on ${ref.platform}`);
        return false;
      }
    },
  };
}
