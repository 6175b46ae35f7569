// A loopback stand-in for Slack's Socket Mode: `apps.connections.open` (app-level token only) and
// the WebSocket it hands out, in front of the fake Web API (test/fakes/fake-slack-api.ts), to which
// every other `/api/*` call is forwarded unchanged. The SDK (@slack/socket-mode 3, used by Bolt's
// SocketModeReceiver) connects like this, read from its source:
//  1. POST `<slackApiUrl>apps.connections.open` with `Authorization: Bearer xapp-…` and no
//     arguments; it uses the returned `url` as is (no query parameters of its own).
//  2. Opens that URL with undici's WebSocket; `start()` resolves only on a `{type:"hello"}` message.
//  3. Pings every clientPingTimeout/3 (5 s / 3) and expects pongs (`ws` answers them itself); a
//     server ping would arm a 30 s "no ping from Slack" timer, so this fake sends none.
//  4. Acks an envelope with `{envelope_id, payload}` (payload `{}` for an empty `ack()`).
//  5. On `{type:"disconnect"}` it closes (code 1000) and, after clientPingTimeout × failures (5 s),
//     calls apps.connections.open again and waits for a new hello; `disconnect()` closes with 1000
//     and never reconnects.
import { randomBytes } from "node:crypto";
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";

type Json = Record<string, unknown>;

export interface FakeSlackSocketOptions {
  /** The app-level token `apps.connections.open` must carry as `Authorization: Bearer …`. */
  appToken: string;
  /** The fake Web API base (ends in `/api/`) every other method is forwarded to. */
  upstreamApiUrl: string;
  appId?: string;
}

export interface SocketConnection {
  /** 1 for the first connection. */
  seq: number;
  /** The ticket from the URL `apps.connections.open` returned. */
  ticket: string;
  /** Every message the client sent, parsed. */
  received: Json[];
  /** Resolves with the close code once the socket is closed (by either side). */
  closed: Promise<{ code: number; reason: string }>;
  isOpen(): boolean;
}

export interface ForwardedCall {
  method: string;
  authorization: string | undefined;
}

export interface Ack {
  message: Json;
  /** Milliseconds from sending the envelope to receiving its ack. */
  ms: number;
}

export interface FakeSlackSocket {
  /** Give this to the adapter as `api_url`. */
  readonly apiUrl: string;
  /** `Authorization` header of each apps.connections.open call, in order. */
  readonly opens: Array<string | undefined>;
  /** Web API calls forwarded to the fake Web API, with the token they carried. */
  readonly forwarded: ForwardedCall[];
  readonly connections: SocketConnection[];
  /** Problems (bad token, unknown ticket, unexpected frames); a test should end with this empty. */
  readonly unexpected: string[];
  /** Resolve with the `count`-th connection once the client has opened it. */
  waitForConnection(count: number, timeoutMs?: number): Promise<SocketConnection>;
  hello(conn: SocketConnection): void;
  /** Slack's "this connection is going away" message, e.g. reason `refresh_requested`. */
  disconnect(conn: SocketConnection, reason: string): void;
  /** Send an envelope and resolve with its ack; rejects when no ack arrives within `timeoutMs`. */
  sendEnvelope(conn: SocketConnection, type: "slash_commands" | "interactive", payload: Json, opts?: { timeoutMs?: number; retryAttempt?: number }): Promise<Ack>;
  close(): Promise<void>;
}

export async function startFakeSlackSocket(options: FakeSlackSocketOptions): Promise<FakeSlackSocket> {
  const appId = options.appId ?? "A0TEST";
  const upstream = new URL(options.upstreamApiUrl);
  const opens: Array<string | undefined> = [];
  const forwarded: ForwardedCall[] = [];
  const connections: SocketConnection[] = [];
  const sockets = new Map<SocketConnection, WebSocket>();
  const unexpected: string[] = [];
  const tickets = new Set<string>();
  const ackWaiters = new Map<string, (message: Json) => void>();
  const connWaiters: Array<() => void> = [];
  let port = 0;

  const sendJson = (res: ServerResponse, body: Json): void => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const openConnection = (req: IncomingMessage, res: ServerResponse): void => {
    const auth = req.headers.authorization;
    opens.push(auth);
    if (auth !== `Bearer ${options.appToken}`) {
      // Slack answers a bot token here with not_allowed_token_type, anything else with invalid_auth.
      const error = auth?.startsWith("Bearer xoxb-") ? "not_allowed_token_type" : "invalid_auth";
      unexpected.push(`apps.connections.open: ${error} (Authorization must be the app-level xapp- token)`);
      return sendJson(res, { ok: false, error });
    }
    const ticket = randomBytes(12).toString("hex");
    tickets.add(ticket);
    sendJson(res, { ok: true, url: `ws://127.0.0.1:${port}/link/?ticket=${ticket}&app_id=${appId}` });
  };

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, method: string): void => {
    forwarded.push({ method, authorization: req.headers.authorization });
    const target = new URL(method, upstream);
    const up = request(target, { method: req.method ?? "POST", headers: { ...req.headers, host: target.host } }, (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.headers);
      upRes.pipe(res);
    });
    up.on("error", (err) => {
      unexpected.push(`forwarding ${method} failed: ${err.message}`);
      res.writeHead(502).end();
    });
    up.end(body);
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const method = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname)?.[1];
      if (req.method === "POST" && method === "apps.connections.open") return openConnection(req, res);
      if (method) return forward(req, res, Buffer.concat(chunks), method);
      unexpected.push(`${req.method} ${url.pathname}: no route in test/fakes/fake-slack-socket.ts`);
      res.writeHead(404).end();
    });
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const ticket = url.searchParams.get("ticket") ?? "";
    // Tickets are single use, as Slack's are: a client must call apps.connections.open per connection.
    if (url.pathname !== "/link/" || url.searchParams.get("app_id") !== appId || !tickets.delete(ticket)) {
      unexpected.push(`WebSocket upgrade to ${url.pathname}${url.search}: unknown or reused ticket`);
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, ticket));
  });

  const accept = (ws: WebSocket, ticket: string): void => {
    let open = true;
    const received: Json[] = [];
    const closed = new Promise<{ code: number; reason: string }>((resolve) => {
      ws.on("close", (code: number, reason: Buffer) => {
        open = false;
        resolve({ code, reason: reason.toString("utf8") });
      });
    });
    const conn: SocketConnection = { seq: connections.length + 1, ticket, received, closed, isOpen: () => open };
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      let message: Json;
      try {
        if (isBinary) throw new Error("binary frame");
        message = JSON.parse(data.toString("utf8")) as Json;
      } catch {
        unexpected.push(`connection ${conn.seq}: a frame that is not JSON text`);
        return;
      }
      received.push(message);
      const id = message["envelope_id"];
      const waiter = typeof id === "string" ? ackWaiters.get(id) : undefined;
      if (!waiter) {
        unexpected.push(`connection ${conn.seq}: message for no pending envelope: ${JSON.stringify(message).slice(0, 200)}`);
        return;
      }
      ackWaiters.delete(id as string);
      waiter(message);
    });
    connections.push(conn);
    sockets.set(conn, ws);
    for (const w of connWaiters.splice(0)) w();
  };

  const socketOf = (conn: SocketConnection): WebSocket => {
    const ws = sockets.get(conn);
    if (!ws) throw new Error(`fake Slack socket: no connection ${conn.seq}`);
    return ws;
  };

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;

  return {
    apiUrl: `http://127.0.0.1:${port}/api/`,
    opens,
    forwarded,
    connections,
    unexpected,
    async waitForConnection(count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (connections.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`fake Slack socket: connection ${count} not opened within ${timeoutMs} ms (opens: ${opens.length}; unexpected: ${unexpected.join("; ") || "none"})`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          connWaiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return connections[count - 1] as SocketConnection;
    },
    hello(conn) {
      socketOf(conn).send(
        JSON.stringify({ type: "hello", num_connections: 1, debug_info: { host: "applink-fake", build_number: 1, approximate_connection_time: 18060 }, connection_info: { app_id: appId } }),
      );
    },
    disconnect(conn, reason) {
      socketOf(conn).send(JSON.stringify({ type: "disconnect", reason, debug_info: { host: "applink-fake" } }));
    },
    sendEnvelope(conn, type, payload, opts = {}) {
      const envelopeId = randomBytes(16).toString("hex");
      const timeoutMs = opts.timeoutMs ?? 2900;
      const envelope: Json = {
        envelope_id: envelopeId,
        type,
        payload,
        accepts_response_payload: type === "slash_commands",
        ...(opts.retryAttempt !== undefined ? { retry_attempt: opts.retryAttempt, retry_reason: "timeout" } : {}),
      };
      const sentAt = Date.now();
      return new Promise<Ack>((resolve, reject) => {
        const timer = setTimeout(() => {
          ackWaiters.delete(envelopeId);
          reject(new Error(`fake Slack socket: no ack for ${type} envelope within ${timeoutMs} ms (Slack's deadline is 3 s)`));
        }, timeoutMs);
        ackWaiters.set(envelopeId, (message) => {
          clearTimeout(timer);
          resolve({ message, ms: Date.now() - sentAt });
        });
        socketOf(conn).send(JSON.stringify(envelope));
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets.values()) ws.terminate();
        wss.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
