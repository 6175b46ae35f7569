import type { CaddyProxy } from "../../config/proxy-config.js";
import { OpsError } from "../../core/errors.js";
import { createCaddyAdminRequest, type CaddyAdminTarget } from "./caddy-admin-request.js";
import { waitForTlsCertificate } from "./caddy-tls-ready.js";
import { PREVIEW_ROUTE_PREFIX, type ProxyClient, type ProxyRoute, type ProxyRouteSummary } from "./proxy-client.js";

export interface CaddyProxyClientOptions extends Omit<CaddyAdminTarget, "admin"> {
  config: CaddyProxy;
  /** Base domain of previews: the TLS policy covers `*.<domain>`. */
  domain: string;
  /** Where Caddy asks before an on-demand certificate (tls: acme). */
  askUrl?: string;
}

/** The TLS automation policy opsdeck adds for `*.<domain>` (first in the list, so it wins). */
export const CADDY_TLS_POLICY_ID = "opsdeck-previews-tls";

type Json = Record<string, unknown>;

function isRecord(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The preview route as Caddy JSON: host matcher → (basic auth) → reverse proxy to the entry service. */
export function caddyRoute(route: ProxyRoute): Json {
  const auth = route.basicAuth
    ? [{ handler: "authentication", providers: { http_basic: { hash: { algorithm: "bcrypt" }, accounts: [{ username: route.basicAuth.username, password: Buffer.from(route.basicAuth.bcryptHash).toString("base64") }] } } }]
    : [];
  return { "@id": route.id, match: [{ host: [route.hostname] }], handle: [...auth, { handler: "reverse_proxy", upstreams: [{ dial: route.upstream }] }], terminal: true };
}

function summary(value: unknown): ProxyRouteSummary | undefined {
  if (!isRecord(value) || typeof value["@id"] !== "string" || !value["@id"].startsWith(PREVIEW_ROUTE_PREFIX)) return undefined;
  const match = Array.isArray(value["match"]) && isRecord(value["match"][0]) ? value["match"][0] : {};
  const hosts = Array.isArray(match["host"]) ? match["host"] : [];
  const handlers = Array.isArray(value["handle"]) ? value["handle"].filter(isRecord) : [];
  const proxy = handlers.find((h) => h["handler"] === "reverse_proxy");
  const upstreams = proxy && Array.isArray(proxy["upstreams"]) ? proxy["upstreams"].filter(isRecord) : [];
  return { id: value["@id"], hostname: typeof hosts[0] === "string" ? hosts[0] : "", upstream: typeof upstreams[0]?.["dial"] === "string" ? upstreams[0]["dial"] : "" };
}

/**
 * The `caddy` proxy driver: routes `preview-<slug>.<domain>` on one server of Caddy's http app
 * through its admin API, each identified by its `@id` so that exactly that route is replaced or
 * removed (`/id/<id>`). The server (listening on `https_port`, or `http_port` with automatic HTTPS
 * off for `tls: off`) and a TLS policy for `*.<domain>` (internal CA, or on-demand ACME gated by
 * the ask URL) are created when missing; nothing else in Caddy's config is touched.
 */
export function createCaddyProxyClient(options: CaddyProxyClientOptions): ProxyClient {
  const { config } = options;
  const call = createCaddyAdminRequest({ ...options, admin: config.admin });
  const serverPath = `/config/apps/http/servers/${config.server}`;

  async function ok(method: string, path: string, body?: unknown, allow: number[] = []): Promise<{ status: number; body: unknown }> {
    const res = await call(method, path, body);
    if ((res.status >= 200 && res.status < 300) || allow.includes(res.status)) return res;
    const detail = isRecord(res.body) && typeof res.body["error"] === "string" ? res.body["error"] : String(res.body).slice(0, 300);
    throw new OpsError("external_api", `${call.where} answered ${res.status} to ${method} ${path}: ${detail}`, "Check Caddy's log on the preview host; GET /config/ on the admin API shows its current config.");
  }

  /** The value at a config path; null when it (or a parent: Caddy answers 400 "invalid traversal path") is missing. */
  async function read(path: string): Promise<unknown> {
    const res = await ok("GET", path, undefined, [400]);
    if (res.status === 400) {
      if (isRecord(res.body) && String(res.body["error"]).includes("invalid traversal")) return null;
      await ok("GET", path); // throws with Caddy's message
    }
    return res.body;
  }

  /** Create `path` with `value` when it is missing; callers create parents first. */
  async function ensure(path: string, value: unknown): Promise<void> {
    if ((await read(path)) === null) await ok("POST", path, value);
  }

  async function ensureServer(): Promise<void> {
    if (Array.isArray(await read(`${serverPath}/routes`))) return;
    const off = config.tls === "off";
    await ensure("/config/apps", {});
    await ensure("/config/apps/http", { http_port: config.http_port, https_port: config.https_port, servers: {} });
    await ensure("/config/apps/http/servers", {});
    await ensure(serverPath, { listen: [`:${off ? config.http_port : config.https_port}`], routes: [], ...(off ? { automatic_https: { disable: true } } : {}) });
    await ensure(`${serverPath}/routes`, []);
  }

  async function ensureTlsPolicy(): Promise<void> {
    if (config.tls === "off") return;
    if (config.tls === "acme" && !options.askUrl) throw new OpsError("config", "previews.proxy.tls is acme but no ask URL is known", "Set previews.proxy.ask_url (e.g. http://127.0.0.1:8787/caddy/ask) or enable opsdeck's http server.");
    if ((await ok("GET", `/id/${CADDY_TLS_POLICY_ID}`, undefined, [404])).status === 200) return;
    const subjects = [`*.${options.domain}`];
    const policy = config.tls === "internal" ? { "@id": CADDY_TLS_POLICY_ID, subjects, issuers: [{ module: "internal" }] } : { "@id": CADDY_TLS_POLICY_ID, subjects, on_demand: true };
    await ensure("/config/apps", {});
    await ensure("/config/apps/tls", {});
    await ensure("/config/apps/tls/automation", {});
    await ensure("/config/apps/tls/automation/policies", []);
    const policies = (await read("/config/apps/tls/automation/policies")) as unknown[] | null;
    if (policies?.length) await ok("PUT", "/config/apps/tls/automation/policies/0", policy);
    else await ok("POST", "/config/apps/tls/automation/policies", policy);
    if (config.tls === "acme") {
      await ensure("/config/apps/tls/automation/on_demand", {});
      await ok("POST", "/config/apps/tls/automation/on_demand/ask", options.askUrl);
    }
  }

  /** A name the `*.<domain>` policy (the internal CA) covers: one label below the domain. */
  const coveredByPolicy = (hostname: string): boolean => hostname.endsWith(`.${options.domain}`) && !hostname.slice(0, -options.domain.length - 1).includes(".");

  return {
    driver: "caddy",
    async putRoute(route) {
      if (!route.id.startsWith(PREVIEW_ROUTE_PREFIX) || !/^[a-z0-9-]{1,80}$/.test(route.id)) throw new Error(`not an opsdeck route id: ${route.id}`);
      await ensureServer();
      await ensureTlsPolicy();
      const value = caddyRoute(route);
      const existing = await ok("GET", `/id/${route.id}`, undefined, [404]);
      // Replace in place (a redeploy); a new route goes first, before any catch-all route of the server.
      if (existing.status === 200) await ok("PATCH", `/id/${route.id}`, value);
      else if (((await read(`${serverPath}/routes`)) as unknown[] | null)?.length) await ok("PUT", `${serverPath}/routes/0`, value);
      else await ok("POST", `${serverPath}/routes`, value); // PUT at index 0 of an empty array is out of bounds
      // tls: internal — the certificate comes from Caddy's CA in the background: the URL opens
      // once the reply says so. (acme: on demand, during the first handshake.) Not served within
      // the wait, the route stays; the first visit waits for it as it would have.
      if (config.tls === "internal" && coveredByPolicy(route.hostname)) await waitForTlsCertificate({ port: config.https_port, ...(options.ssh ? { ssh: options.ssh } : {}) }, route.hostname);
    },
    async setUpstream(id, upstream) {
      if (!id.startsWith(PREVIEW_ROUTE_PREFIX) || !/^[a-z0-9-]{1,80}$/.test(id)) throw new Error(`not an opsdeck route id: ${id}`);
      const existing = await ok("GET", `/id/${id}`, undefined, [404]);
      if (existing.status === 404 || !isRecord(existing.body)) return false;
      const handlers = Array.isArray(existing.body["handle"]) ? existing.body["handle"] : [];
      const i = handlers.findIndex((h) => isRecord(h) && h["handler"] === "reverse_proxy");
      if (i < 0) return false;
      // Only the upstream list changes; Caddy swaps the config gracefully, in-flight requests finish.
      await ok("PATCH", `/id/${id}/handle/${i}/upstreams`, [{ dial: upstream }]);
      return true;
    },
    async removeRoute(id) {
      if (!id.startsWith(PREVIEW_ROUTE_PREFIX)) throw new Error(`not an opsdeck route id: ${id}`);
      return (await ok("DELETE", `/id/${id}`, undefined, [404])).status !== 404;
    },
    async listRoutes() {
      const routes = await read(`${serverPath}/routes`);
      return (Array.isArray(routes) ? routes : []).map(summary).filter((r): r is ProxyRouteSummary => r !== undefined);
    },
    async close() {
      call.close();
    },
  };
}
