import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";

export interface SlackFetch {
  /** Passed as `clientOptions.fetch`: Bolt uses it for `respond` (response_url), the Web API client for every call. */
  fetch: typeof globalThis.fetch;
  /** Close the kept-alive connections (adapter stop). */
  close(): void;
}

/** The slice of `Response` that @slack/web-api (`makeRequest`, `buildResult`) and Bolt's `createRespond` read. */
function bufferedResponse(res: IncomingMessage, body: Buffer, url: string): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.set(name, value);
  }
  const status = res.statusCode ?? 0;
  const response = {
    status,
    statusText: res.statusMessage ?? "",
    ok: status >= 200 && status < 300,
    redirected: false,
    url,
    headers,
    text: async () => body.toString("utf8"),
    json: async (): Promise<unknown> => JSON.parse(body.toString("utf8")),
    arrayBuffer: async () => body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength),
  };
  // Not a whole WHATWG Response (no body stream, clone, blob): the two SDKs read only these members.
  return response as unknown as Response;
}

/**
 * A lean `fetch` for Slack's POSTs: one keep-alive agent per protocol and a buffered body, instead
 * of the global fetch's WHATWG stream machinery — in a burst of 50 commands that machinery was the
 * largest CPU cost per reply (profiled: undici fetch + body streams ≈ half of each Web API call).
 * Anything it does not handle the same way — a body that is not a string or URLSearchParams (file
 * uploads), a method other than GET/POST, a non-string URL, or a redirect — goes to the global
 * `fetch`, so behaviour never differs from it.
 */
export function createSlackFetch(): SlackFetch {
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };

  const lean = (url: URL, init: RequestInit, body: string | undefined): Promise<Response> =>
    new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      // The Web API client passes a plain object: copied as is (WHATWG Headers cost more than the copy).
      const given = init.headers;
      if (given && !(given instanceof Headers) && !Array.isArray(given)) for (const [k, v] of Object.entries(given)) headers[k.toLowerCase()] = String(v);
      else if (given) for (const [k, v] of new Headers(given)) headers[k] = v;
      if (body !== undefined) headers["content-length"] = String(Buffer.byteLength(body));
      const https = url.protocol === "https:";
      const req = (https ? httpsRequest : httpRequest)(url, { method: init.method ?? "GET", headers, agent: https ? agents.https : agents.http }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve(bufferedResponse(res, Buffer.concat(chunks), url.href)));
        res.on("error", (err) => reject(new TypeError("fetch failed", { cause: err })));
      });
      req.on("error", (err) => reject(new TypeError("fetch failed", { cause: err })));
      const signal = init.signal;
      if (signal) {
        if (signal.aborted) req.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted"));
        else signal.addEventListener("abort", () => req.destroy(signal.reason instanceof Error ? signal.reason : new Error("aborted")), { once: true });
      }
      req.end(body);
    });

  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const method = (init.method ?? "GET").toUpperCase();
    const raw = init.body;
    const body = typeof raw === "string" ? raw : raw instanceof URLSearchParams ? raw.toString() : raw == null ? undefined : null;
    if (typeof input === "object" && !(input instanceof URL)) return globalThis.fetch(input, init);
    const url = input instanceof URL ? input : new URL(input);
    if (body === null || (method !== "POST" && method !== "GET") || (url.protocol !== "http:" && url.protocol !== "https:")) return globalThis.fetch(input, init);
    if (raw instanceof URLSearchParams && !new Headers(init.headers).has("content-type")) {
      init = { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), "content-type": "application/x-www-form-urlencoded;charset=UTF-8" } };
    }
    const response = await lean(url, init, body);
    // Redirects (Slack sends none on these endpoints): let the global fetch apply `redirect` as asked.
    if (response.status >= 300 && response.status < 400 && init.redirect !== "manual") return globalThis.fetch(input, init);
    return response;
  };

  return {
    fetch: fetch as typeof globalThis.fetch,
    close() {
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
