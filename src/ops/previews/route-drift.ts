import type { Redactor } from "../../core/redact.js";
import { PREVIEW_ROUTE_PREFIX, type ProxyClient } from "../adapters/proxy-client.js";
import type { ListedPreview } from "./preview-types.js";

/**
 * `/preview list` drift between state and the proxy: a running preview whose route is gone
 * (`route missing`, set on the listed preview) and opsdeck routes with no preview (orphans).
 */
export async function listRouteDrift(proxy: ProxyClient, previews: ListedPreview[], redact: Redactor): Promise<{ orphanRoutes?: string[]; routeError?: string }> {
  let routes;
  try {
    routes = (await proxy.listRoutes()).filter((r) => r.id.startsWith(`${PREVIEW_ROUTE_PREFIX}preview-`));
  } catch (err) {
    return { routeError: `could not list the proxy's routes: ${redact((err as Error).message)}` };
  }
  const byHost = new Set(routes.map((r) => r.hostname));
  for (const p of previews) {
    if (p.status === "running" && !byHost.has(p.hostname)) p.drift = p.drift ? `${p.drift}, route missing` : "route missing";
  }
  const known = new Set(previews.map((p) => p.hostname));
  const orphanRoutes = routes.filter((r) => !known.has(r.hostname)).map((r) => r.hostname || r.id);
  return orphanRoutes.length > 0 ? { orphanRoutes } : {};
}
