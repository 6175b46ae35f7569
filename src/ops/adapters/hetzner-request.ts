import type { z } from "zod";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Secret } from "../../core/secret.js";
import { HcloudError, HcloudMeta } from "./hetzner-schemas.js";
import { DEFAULT_RETRY_POLICY, isRetryAfterTooLong, parseRetryAfter, retryWithBackoff, type RetryPolicy, type RetryVerdict } from "./retry-with-backoff.js";

type Method = "GET" | "POST" | "PUT" | "DELETE";

/** A Hetzner API error answer, as an `OpsError` callers can branch on (`status`, `apiCode`). */
export class HetznerApiError extends OpsError {
  constructor(
    readonly status: number,
    readonly apiCode: string,
    message: string,
    nextStep: string,
    readonly retryAfterMs?: number,
  ) {
    super(status === 404 ? "not_found" : status === 409 || apiCode === "uniqueness_error" ? "conflict" : "external_api", message, nextStep);
    this.name = "HetznerApiError";
  }
}

export interface HetznerRequestOptions {
  baseUrl: string;
  token: Secret;
  log: Logger;
  /** Environment variable holding the token, for error messages. */
  tokenEnvName?: string;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  sleep?: (ms: number) => Promise<void>;
  fetch?: typeof fetch;
}

export interface HetznerRequest {
  /** One call; the answer is validated with `schema` (204 answers skip validation). */
  <S extends z.ZodType>(method: Method, path: string, schema: S | null, options?: { query?: Record<string, string | string[]>; body?: unknown }): Promise<z.infer<S>>;
}

/**
 * Retry rules. A GET or DELETE can be repeated safely: 423 (`locked`: an action is running),
 * 429, 5xx and connection failures are retried. A POST may have been carried out before a 500
 * or 504 came back (a second snapshot, a second server), so it is retried only on answers that
 * mean "not processed": 423, 429, 502 and 503.
 */
function classifierFor(method: Method): (err: unknown) => RetryVerdict {
  return (err) => {
    if (err instanceof HetznerApiError) {
      const s = err.status;
      const retry = s === 423 || s === 429 || (method === "POST" ? s === 502 || s === 503 : s >= 500);
      return err.retryAfterMs === undefined ? { retry, status: s } : { retry, status: s, retryAfterMs: err.retryAfterMs };
    }
    if (err instanceof OpsError) return { retry: false };
    // fetch rejects with a TypeError on connection failures; a timeout aborts with a DOMException.
    return { retry: method !== "POST" };
  };
}

function buildUrl(baseUrl: string, path: string, query?: Record<string, string | string[]>): string {
  const url = new URL(baseUrl.replace(/\/+$/, "") + path);
  for (const [k, v] of Object.entries(query ?? {})) for (const item of Array.isArray(v) ? v : [v]) url.searchParams.append(k, item);
  return url.toString();
}

export function createHetznerRequest(options: HetznerRequestOptions): HetznerRequest {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const doFetch = options.fetch ?? fetch;
  const tokenEnv = options.tokenEnvName ?? "the configured variable (hetzner.api_token_env)";
  const tokenFix = `Create a Read & Write API token in the Hetzner Cloud Console (your project → Security → API tokens), put it in ${tokenEnv} and restart opsdeck.`;

  async function once(method: Method, path: string, schema: z.ZodType | null, query?: Record<string, string | string[]>, body?: unknown): Promise<unknown> {
    const response = await doFetch(buildUrl(options.baseUrl, path, query), {
      method,
      headers: { authorization: `Bearer ${options.token.reveal()}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text.length > 0 ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const parsed = HcloudError.safeParse(json);
      const code = parsed.success ? parsed.data.error.code : `http_${response.status}`;
      const apiMessage = parsed.success ? parsed.data.error.message : `HTTP ${response.status}`;
      const where = `${method} ${path}`;
      if (response.status === 401) throw new HetznerApiError(401, code, `Hetzner Cloud rejected the API token (${where}: ${apiMessage})`, tokenFix);
      if (response.status === 403) {
        const what = code === "token_readonly" ? "the API token is read-only" : "the API token lacks permission";
        throw new HetznerApiError(403, code, `Hetzner Cloud refused ${where}: ${what} (${apiMessage})`, tokenFix);
      }
      const retryAfterMs = parseRetryAfter(response.headers);
      throw new HetznerApiError(
        response.status,
        code,
        `Hetzner Cloud API failed: ${where} answered ${response.status} ${code} (${apiMessage})`,
        response.status >= 500 || response.status === 429 ? "Check https://status.hetzner.com and try again later." : "Check the hetzner settings in the config.",
        retryAfterMs,
      );
    }
    if (schema === null) return undefined;
    const result = schema.safeParse(json);
    if (!result.success) {
      const issue = result.error.issues[0];
      throw new OpsError(
        "external_api",
        `Hetzner Cloud answered ${method} ${path} with an unexpected shape (${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"})`,
        "The Hetzner API may have changed; check for an opsdeck update and report it.",
      );
    }
    return result.data;
  }

  const request = async (method: Method, path: string, schema: z.ZodType | null, opts: { query?: Record<string, string | string[]>; body?: unknown } = {}): Promise<unknown> => {
    const classify = classifierFor(method);
    try {
      return await retryWithBackoff(() => once(method, path, schema, opts.query, opts.body), {
        policy,
        classify,
        log: options.log,
        context: { provider: "hetzner", method, path },
        ...(options.sleep ? { sleep: options.sleep } : {}),
      });
    } catch (err) {
      if (err instanceof HetznerApiError) {
        const verdict = classify(err);
        if (verdict.retryAfterMs !== undefined && isRetryAfterTooLong(verdict, policy)) {
          throw new HetznerApiError(err.status, err.apiCode, `Hetzner Cloud rate-limited ${method} ${path}; it asks to wait ${Math.ceil(verdict.retryAfterMs / 1000)} s`, `Try again in ${Math.ceil(verdict.retryAfterMs / 60_000)} min.`);
        }
        if (verdict.retry) throw new HetznerApiError(err.status, err.apiCode, `${err.message} after ${policy.retries + 1} attempts`, err.nextStep);
        throw err;
      }
      if (err instanceof OpsError) throw err;
      const reason = err instanceof Error ? err.message : String(err);
      throw new OpsError("external_api", `could not reach the Hetzner Cloud API for ${method} ${path} (${reason})`, "Check the network and hetzner.api_url, then try again.", { cause: err });
    }
  };
  return request as HetznerRequest;
}

/** Every page of a list endpoint, following `meta.pagination.next_page`. */
export async function listAllPages<T>(
  request: HetznerRequest,
  path: string,
  key: string,
  schema: z.ZodType<{ meta: z.infer<typeof HcloudMeta> } & Record<string, unknown>>,
  query: Record<string, string | string[]> = {},
): Promise<T[]> {
  const out: T[] = [];
  let page: number | null = 1;
  for (let guard = 0; page !== null && guard < 1000; guard++) {
    const data: { meta: z.infer<typeof HcloudMeta> } & Record<string, unknown> = await request("GET", path, schema, { query: { ...query, page: String(page), per_page: "50" } });
    out.push(...(data[key] as T[]));
    page = data.meta.pagination.next_page;
  }
  return out;
}
