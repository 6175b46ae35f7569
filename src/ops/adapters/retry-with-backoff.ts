import { setTimeout as delay } from "node:timers/promises";
import pRetry, { AbortError } from "p-retry";
import type { Logger } from "../../core/logger.js";

/** How an HTTP adapter retries: exponential backoff with jitter, or what `Retry-After` asks for. */
export interface RetryPolicy {
  /** Retries after the first attempt (4 → at most 5 attempts). */
  retries: number;
  /** Backoff before the first retry; doubles each time, with up to 25 % jitter taken off. */
  minDelayMs: number;
  maxDelayMs: number;
  /**
   * A `Retry-After` longer than this is not waited for: a chat command should fail with a clear
   * "rate limited, try again in N s" instead of hanging for an hour.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 4, minDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 60_000 };

/** What the caller's classifier says about one failure. */
export interface RetryVerdict {
  retry: boolean;
  /** HTTP status, for the log line. */
  status?: number;
  /** Parsed `Retry-After` (or an equivalent header), in milliseconds. */
  retryAfterMs?: number;
}

export interface RetryOptions {
  policy: RetryPolicy;
  classify: (err: unknown) => RetryVerdict;
  log: Logger;
  /** Logged with every retry, e.g. `{ provider: "cloudflare", op: "upsert", name }`. Never a secret. */
  context: Record<string, unknown>;
  sleep?: (ms: number) => Promise<void>;
}

/** Parse `Retry-After` (seconds or an HTTP date) or the non-standard `retry-after-ms`. */
export function parseRetryAfter(headers: Headers | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const msHeader = headers.get("retry-after-ms");
  if (msHeader && Number.isFinite(Number(msHeader))) return Math.max(0, Number(msHeader));
  const value = headers.get("retry-after");
  if (!value) return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The error a retry gave up on because the server asked for a longer wait than the policy allows. */
export function isRetryAfterTooLong(verdict: RetryVerdict, policy: RetryPolicy): boolean {
  return verdict.retryAfterMs !== undefined && verdict.retryAfterMs > policy.maxRetryAfterMs;
}

function backoffMs(policy: RetryPolicy, retryNumber: number): number {
  const base = Math.min(policy.minDelayMs * 2 ** (retryNumber - 1), policy.maxDelayMs);
  return Math.round(base * (1 - Math.random() * 0.25));
}

/**
 * Run `fn` and retry it while `classify` says so. `fn` must be idempotent as a whole (the DNS
 * adapter retries "look up, then create or update", not a bare POST), so a retry after a 5xx that
 * did reach the server cannot duplicate anything.
 *
 * p-retry drives the loop; its own timer is set to zero and the wait happens in
 * `onFailedAttempt`, because p-retry precomputes its delays and cannot follow `Retry-After`.
 * Non-retryable errors are wrapped in `AbortError` so p-retry rethrows the original at once
 * (its `shouldRetry` would still run `onFailedAttempt`, which would log a retry that never comes).
 */
export async function retryWithBackoff<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { policy, classify, log, context } = options;
  const sleep = options.sleep ?? ((ms: number) => delay(ms));
  const verdicts = new WeakMap<object, RetryVerdict>();
  return pRetry(
    async (attempt) => {
      try {
        return await fn(attempt);
      } catch (err) {
        const error = err instanceof Error ? err : new Error(String(err));
        const verdict = classify(err);
        if (!verdict.retry || isRetryAfterTooLong(verdict, policy)) throw new AbortError(error);
        verdicts.set(error, verdict);
        throw error;
      }
    },
    {
      retries: policy.retries,
      factor: 1,
      minTimeout: 0,
      maxTimeout: 0,
      randomize: false,
      onFailedAttempt: async (error) => {
        if (error.retriesLeft <= 0) return;
        const verdict = verdicts.get(error) ?? { retry: true };
        const waitMs = verdict.retryAfterMs ?? backoffMs(policy, error.attemptNumber);
        log.warn(
          { ...context, attempt: error.attemptNumber, retriesLeft: error.retriesLeft, status: verdict.status, delayMs: waitMs, retryAfter: verdict.retryAfterMs !== undefined, err: error.message },
          "request failed; retrying",
        );
        await sleep(waitMs);
      },
    },
  );
}
