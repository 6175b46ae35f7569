import type { SmokeCheck } from "../../config/environments-config.js";

export interface SmokeResult {
  url: string;
  expected: number;
  /** The status received, or null when the request failed. */
  status: number | null;
  ok: boolean;
  error?: string;
}

/** GET each URL from the bot's machine (no redirects followed) and compare the status. */
export async function runSmokeChecks(checks: readonly SmokeCheck[], timeoutMs = 10_000): Promise<SmokeResult[]> {
  return Promise.all(
    checks.map(async (check): Promise<SmokeResult> => {
      try {
        const res = await fetch(check.url, { redirect: "manual", signal: AbortSignal.timeout(timeoutMs) });
        await res.body?.cancel();
        return { url: check.url, expected: check.expect_status, status: res.status, ok: res.status === check.expect_status };
      } catch (err) {
        const cause = (err as { cause?: { code?: string } }).cause?.code;
        return { url: check.url, expected: check.expect_status, status: null, ok: false, error: cause ?? (err as Error).name };
      }
    }),
  );
}
