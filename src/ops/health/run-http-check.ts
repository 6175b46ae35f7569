import type { HttpCheck } from "../../config/jobs-config.js";
import type { CheckResult } from "./alert-state.js";

/**
 * GET the URL from the bot's machine: ok when the status is the expected one and the answer came
 * within `max_latency`. Redirects are not followed (a 302 to a login page is not "up"). The request
 * is abandoned after twice the latency limit (at least 5 s).
 */
export async function runHttpCheck(check: HttpCheck, fetchFn: typeof fetch = fetch): Promise<CheckResult> {
  const base = { id: `http:${check.name}`, label: `http ${check.name} (${check.url})` };
  const started = performance.now();
  const limit = Math.max(5_000, check.max_latency * 2);
  try {
    const res = await fetchFn(check.url, { redirect: "manual", signal: AbortSignal.timeout(limit), headers: { "user-agent": "opsdeck-health" } });
    await res.arrayBuffer().catch(() => undefined);
    const ms = Math.round(performance.now() - started);
    if (res.status !== check.expect_status) return { ...base, ok: false, detail: `HTTP ${res.status} in ${ms} ms (expected ${check.expect_status})` };
    if (ms > check.max_latency) return { ...base, ok: false, severity: "warning", detail: `slow: HTTP ${res.status} in ${ms} ms (limit ${check.max_latency} ms)` };
    return { ...base, ok: true, detail: `HTTP ${res.status} in ${ms} ms` };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === "TimeoutError" ? `no answer within ${limit} ms` : (e.cause?.code ?? e.message);
    return { ...base, ok: false, detail: `unreachable: ${why}` };
  }
}
