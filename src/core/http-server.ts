import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "./metrics.js";

export interface StartedHttpServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

/** `/healthz` for the container HEALTHCHECK, `/metrics` for Prometheus. Chat webhooks mount later. */
export async function startHttpServer(options: { host: string; port: number; metrics: Metrics; isHealthy?: () => boolean }): Promise<StartedHttpServer> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "GET" && url.pathname === "/healthz") {
      const ok = options.isHealthy?.() ?? true;
      res.writeHead(ok ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status: ok ? "ok" : "unhealthy" }));
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
