import { createServer, type Server } from "node:http";
import type { HTTPReceiver } from "@slack/bolt";
import type { Logger } from "../../core/logger.js";
import type { SlackRequestGuard } from "./slack-request-guard.js";

export interface SlackHttpServerOptions {
  receiver: HTTPReceiver;
  guard: SlackRequestGuard;
  /** The receiver's endpoint; POSTs there go through the guard, anything else straight to Bolt (which 404s it). */
  path: string;
  host: string;
  port: number;
  log: Logger;
}

/**
 * Our own HTTP server in front of Bolt's HTTPReceiver (instead of `app.start()`), so every request
 * to the endpoint passes the guard before Bolt's request listener. Unknown paths get Bolt's 404.
 */
export function listenSlackHttp(options: SlackHttpServerOptions): Promise<Server> {
  const { receiver, guard, path, log } = options;
  const toBolt = (req: Parameters<HTTPReceiver["requestListener"]>[0], res: Parameters<HTTPReceiver["requestListener"]>[1]): void => {
    try {
      receiver.requestListener(req, res);
    } catch {
      // Bolt throws HTTPReceiverDeferredRequestError for a path or method it does not serve.
      if (!res.headersSent) {
        res.writeHead(404);
        res.end();
      }
    }
  };
  const server = createServer((req, res) => {
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    if (req.method === "POST" && pathname === path) guard(req, res, (checked) => toBolt(checked, res));
    else toBolt(req, res);
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      server.on("error", (err) => log.error({ err }, "slack HTTP server error"));
      resolve(server);
    });
  });
}

export function closeSlackHttp(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeIdleConnections();
  });
}
