import { timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Update } from "telegraf/types";
import type { Logger } from "../../core/logger.js";
import type { Secret } from "../../core/secret.js";

export interface WebhookServerOptions {
  host: string;
  port: number;
  path: string;
  /** `X-Telegram-Bot-Api-Secret-Token` must equal it; anything else is 401 and runs nothing. */
  secret: Secret;
  /** Called after the 200 was sent: Telegram retries slow webhooks, and an operation can take minutes. */
  onUpdate: (update: Update) => void;
  log: Logger;
}

export interface StartedWebhookServer {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 20;

function sameSecret(given: string | string[] | undefined, secret: Secret): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(secret.reveal(), "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

function isUpdate(v: unknown): v is Update {
  return !!v && typeof v === "object" && Number.isInteger((v as { update_id?: unknown }).update_id);
}

/** Receives Telegram webhook POSTs on its own port (put a TLS reverse proxy in front of it). */
export async function startWebhookServer(options: WebhookServerOptions): Promise<StartedWebhookServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (req.method !== "POST" || path !== options.path) {
      res.writeHead(404).end();
      return;
    }
    if (!sameSecret(req.headers["x-telegram-bot-api-secret-token"], options.secret)) {
      options.log.warn({ ip: req.socket.remoteAddress }, "Telegram webhook request with a wrong or missing secret token refused");
      res.writeHead(401).end();
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        res.writeHead(413).end();
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (size > MAX_BODY) return;
      let update: unknown;
      try {
        update = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (!isUpdate(update)) {
        res.writeHead(400).end();
        return;
      }
      res.writeHead(200).end();
      options.onUpdate(update);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
