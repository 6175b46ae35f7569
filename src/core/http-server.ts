import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "./metrics.js";

/** A POST endpoint mounted on the server (Git-host webhooks); it reads the body and answers itself. */
export interface HttpRoute {
  path: string;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export interface StartedHttpServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** `/healthz` for the container HEALTHCHECK, `/metrics` for Prometheus, plus POST `routes` (Git-host webhooks). */
export async function startHttpServer(options: { host: string; port: number; metrics: Metrics; isHealthy?: () => boolean; routes?: HttpRoute[]; isLivePreviewHost?: (hostname: string) => boolean }): Promise<StartedHttpServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const route = req.method === "POST" ? options.routes?.find((r) => r.path === url.pathname) : undefined;
    if (route) return route.handle(req, res);
    if (req.method === "GET" && url.pathname === "/healthz") {
      const ok = options.isHealthy?.() ?? true;
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: ok ? "ok" : "unhealthy" }));
      return;
    }
    // Caddy's on-demand TLS asks here before getting a certificate: only live preview names get one.
    if (req.method === "GET" && url.pathname === "/caddy/ask" && options.isLivePreviewHost) {
      const domain = (url.searchParams.get("domain") ?? "").toLowerCase();
      const live = /^[a-z0-9.-]{1,253}$/.test(domain) && options.isLivePreviewHost(domain);
      res.writeHead(live ? 200 : 404, { "content-type": "text/plain" });
      res.end(live ? "ok\n" : "not a live preview\n");
      return;
    }
    if (req.method === "GET" && url.pathname === "/metrics") {
      options.metrics.registry.metrics().then(
        (body) => {
          res.writeHead(200, { "content-type": options.metrics.registry.contentType });
          res.end(body);
        },
        () => {
          res.writeHead(500);
          res.end();
        },
      );
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
