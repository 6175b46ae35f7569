import { z } from "zod";

const Port = z.number().int().min(1).max(65535);

/**
 * Caddy's admin API, never on a public port: a unix socket (`unix//run/caddy/admin.sock`, Caddy's
 * own notation: `unix/` then the absolute path), forwarded over the SSH connection like the Docker
 * socket, or loopback TCP (`http://127.0.0.1:2019`).
 */
export const CaddyAdmin = z
  .string()
  .regex(/^(unix\/\/[A-Za-z0-9._/-]+|http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d{1,5})$/, "must be unix//run/caddy/admin.sock or http://127.0.0.1:2019 (a unix socket or loopback, never a public address)");

export const CaddyProxy = z.strictObject({
  driver: z.literal("caddy"),
  admin: CaddyAdmin.default("unix//run/caddy/admin.sock"),
  /** The server under apps.http.servers that carries the preview routes; created when missing. */
  server: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a Caddy server name such as srv0").default("srv0"),
  /** `internal`: Caddy's local CA; `acme`: on-demand certificates, only for live previews (ask endpoint); `off`: plain HTTP. */
  tls: z.enum(["internal", "acme", "off"]).default("internal"),
  https_port: Port.default(443),
  http_port: Port.default(80),
  /** The URL Caddy asks before an on-demand certificate (tls: acme); default opsdeck's http server `/caddy/ask`. */
  ask_url: z.string().regex(/^http:\/\/[A-Za-z0-9.[\]:-]+\/[A-Za-z0-9/_-]*$/, "must be an http URL such as http://127.0.0.1:8787/caddy/ask").optional(),
  /** Protect each preview with HTTP basic auth; the password is generated and kept only in its `.env`. */
  basic_auth: z.boolean().default(false),
});

export const TraefikProxy = z.strictObject({
  driver: z.literal("traefik"),
  /** The external network Traefik watches; the entry service joins it. */
  network: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, "must be a Docker network name such as traefik-public").default("traefik-public"),
  entrypoint: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a Traefik entrypoint name such as websecure").default("websecure"),
  /** A certificate resolver declared in Traefik's static config; omitted: the router serves the default certificate. */
  cert_resolver: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be a resolver name such as letsencrypt").optional(),
});

/** `previews.proxy`: who serves `preview-<slug>.<domain>` (see README "Previews in production"). */
export const PreviewProxy = z.discriminatedUnion("driver", [CaddyProxy, TraefikProxy]);
export type PreviewProxy = z.infer<typeof PreviewProxy>;
export type CaddyProxy = z.infer<typeof CaddyProxy>;
export type TraefikProxy = z.infer<typeof TraefikProxy>;
