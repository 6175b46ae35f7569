/** What opsdeck needs from the reverse proxy in front of previews (see README "Previews in production"). */

/** Every route opsdeck makes has an id with this prefix; routes without it are never touched. */
export const PREVIEW_ROUTE_PREFIX = "opsdeck-";

export interface ProxyRoute {
  /** `opsdeck-preview-<slug>` (at most 71 characters: the prefix and the preview's DNS label). */
  id: string;
  hostname: string;
  /** `ip:port` the proxy dials: the entry service on the preview's network. */
  upstream: string;
  /** HTTP basic auth in front of the preview; the hash only, the password stays in the `.env`. */
  basicAuth?: { username: string; bcryptHash: string };
}

export interface ProxyRouteSummary {
  id: string;
  hostname: string;
  upstream: string;
}

export interface ProxyClient {
  readonly driver: "caddy";
  /** Add the route, replacing one with the same id (a redeploy), after the server and TLS policy it needs. */
  putRoute(route: ProxyRoute): Promise<void>;
  /** Point an existing route at another upstream (`ip:port`), keeping everything else; false when the route is missing. */
  setUpstream(id: string, upstream: string): Promise<boolean>;
  /** Remove exactly that route; false when it was not there. */
  removeRoute(id: string): Promise<boolean>;
  /** The routes opsdeck made (id prefix `opsdeck-`), in the proxy's current config. */
  listRoutes(): Promise<ProxyRouteSummary[]>;
  close(): Promise<void>;
}
