import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { App as BoltApp, Logger as BoltLogger, Receiver, ReceiverEvent } from "@slack/bolt";
import { HTTPModuleFunctions as http, HTTPResponseAck } from "./bolt-modules.js";
import type { Logger } from "../../core/logger.js";
import type { SlackRequestGuard } from "./slack-request-guard.js";

/** A parsed Slack request body: form fields, or an interaction's JSON `payload`. */
export type SlackBody = Record<string, unknown>;

export interface SlackFrontReceiverOptions {
  guard: SlackRequestGuard;
  /** The endpoint Slack posts to; anything else is answered 404. */
  path: string;
  host: string;
  port: number;
  log: Logger;
  /** For Bolt's HTTPResponseAck (its "not acknowledged within 3 seconds" line). */
  boltLogger: BoltLogger;
  /**
   * True for the requests whose ack is an empty 200 whatever the listener does — opsdeck's own
   * slash commands and button clicks. Those are answered as soon as their signature is checked,
   * before Bolt sees them; any other request is acked by its Bolt listener as usual.
   */
  acksAtOnce: (body: SlackBody) => boolean;
}

/**
 * Work waits while a connection or request is on its way in (accepted or begun, not yet checked)
 * that came in within this window, for at most this long per event: a connection is accepted in
 * one turn of the event loop and its request read in the next, so without the wait a command's
 * work ran between the two and the request's ack waited behind it. A connection that sends
 * nothing holds work back only once, for this long.
 */
const ARRIVING_MS = 50;

export interface SlackFrontReceiver extends Receiver {
  start(): Promise<Server>;
  stop(): Promise<void>;
  port(): number | undefined;
}

/**
 * opsdeck's Bolt receiver for HTTP mode: our own node:http server, in place of Bolt's
 * HTTPReceiver. Every POST to the endpoint passes `slack-request-guard.ts` (skew both ways, the
 * signature, replays) once; Bolt's receiver would verify the signature a second time.
 *
 * The ack comes first. In a burst (50 commands at once) each command's work — Bolt's middleware,
 * the router, the reply post — costs a few ms of the one event loop, and with the work done
 * straight after each ack, the last request's ack waited behind the work of all earlier ones.
 * Here a request that `acksAtOnce` is answered (empty 200) as soon as it is checked; its event
 * joins a FIFO that hands Bolt one event per turn of the event loop (`setImmediate`), so every
 * request that has arrived meanwhile is read and acknowledged before the next command's work, and
 * no work starts while a request that has just arrived is still being read (`ARRIVING_MS`).
 * Other requests (a listener that acks with a body) get Bolt's own HTTPResponseAck: the listener's
 * `ack()` writes the response, no ack in 3 s answers 404, a failure before the ack 500.
 * `ssl_check` and `url_verification` are answered the way Bolt's receiver answers them.
 */
export function createSlackFrontReceiver(options: SlackFrontReceiverOptions): SlackFrontReceiver {
  const { guard, path, log, boltLogger, acksAtOnce } = options;
  let app: BoltApp | undefined;
  let server: Server | undefined;
  /** Events waiting for their turn; `done` settles once Bolt has processed the event. */
  const queue: Array<{ event: ReceiverEvent; res: ServerResponse | undefined; done: () => void }> = [];
  let scheduled = false;
  /** Every event from enqueue until Bolt has processed it (what `stop` waits for). */
  const pending = new Set<Promise<void>>();
  /** Connections and requests on their way in → when they arrived. */
  const arriving = new Map<Socket, number>();
  let holdingSince: number | undefined;
  const stillArriving = (now: number): boolean => {
    for (const at of arriving.values()) if (now - at < ARRIVING_MS) return true;
    return false;
  };

  const hand = ({ event, res, done }: (typeof queue)[number]): void => {
    if (!app) return done();
    app
      .processEvent(event)
      .catch((err: unknown) => {
        log.error({ err: { message: (err as Error).message } }, "slack event failed in Bolt");
        if (res && !res.headersSent) {
          res.writeHead(500);
          res.end();
        }
      })
      .finally(done);
  };

  const drain = (): void => {
    scheduled = false;
    const now = Date.now();
    if (queue.length > 0 && stillArriving(now) && now - (holdingSince ??= now) < ARRIVING_MS) {
      // Let the poll phase read and ack what is arriving first (a timer, so the loop sleeps in poll).
      scheduled = true;
      setTimeout(drain, 1);
      return;
    }
    holdingSince = undefined;
    const next = queue.shift();
    if (next) hand(next);
    if (queue.length > 0) schedule();
  };
  const schedule = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(drain);
  };
  const enqueue = (event: ReceiverEvent, res: ServerResponse | undefined): void => {
    const settled = new Promise<void>((done) => queue.push({ event, res, done }));
    pending.add(settled);
    void settled.then(() => pending.delete(settled));
    schedule();
  };

  const handle = (req: IncomingMessage & { rawBody: Buffer }, res: ServerResponse): void => {
    arriving.delete(req.socket);
    let body: SlackBody;
    try {
      body = http.parseHTTPRequestBody(req) as SlackBody;
    } catch (err) {
      log.warn({ err: { message: (err as Error).message } }, "slack request refused: malformed body");
      return http.buildNoBodyResponse(res, 400);
    }
    if (body["ssl_check"] === "1") return http.buildSSLCheckResponse(res);
    if (body["type"] === "url_verification") return http.buildUrlVerificationResponse(res, body);
    const retryNum = http.extractRetryNumFromHTTPRequest(req);
    const retryReason = http.extractRetryReasonFromHTTPRequest(req);
    const retry = { ...(retryNum !== undefined ? { retryNum } : {}), ...(retryReason !== undefined ? { retryReason } : {}) };
    if (acksAtOnce(body)) {
      http.buildContentResponse(res, undefined);
      enqueue({ body, ack: async () => undefined, ...retry }, undefined);
      return;
    }
    const ack = new HTTPResponseAck({ logger: boltLogger, processBeforeResponse: false, httpRequest: req, httpRequestBody: body, httpResponse: res });
    enqueue({ body, ack: ack.bind(), ...retry }, res);
  };

  return {
    init(boltApp: BoltApp) {
      app = boltApp;
    },
    port() {
      const address = server?.address();
      return address && typeof address === "object" ? (address as AddressInfo).port : undefined;
    },
    start() {
      const s = createServer((req, res) => {
        arriving.set(req.socket, Date.now());
        res.once("close", () => arriving.delete(req.socket));
        const { pathname } = new URL(req.url ?? "/", "http://localhost");
        if (req.method !== "POST" || pathname !== path) {
          req.resume();
          return http.buildNoBodyResponse(res, 404);
        }
        guard(req, res, (checked) => handle(checked as IncomingMessage & { rawBody: Buffer }, res));
      });
      s.on("connection", (socket: Socket) => {
        arriving.set(socket, Date.now());
        socket.once("close", () => arriving.delete(socket));
      });
      return new Promise((resolve, reject) => {
        s.once("error", reject);
        s.listen(options.port, options.host, () => {
          s.off("error", reject);
          s.on("error", (err) => log.error({ err }, "slack HTTP server error"));
          server = s;
          resolve(s);
        });
      });
    },
    /** Stop taking requests, then hand Bolt every event already acknowledged and wait for them. */
    async stop() {
      const s = server;
      server = undefined;
      if (s) {
        await new Promise<void>((resolve, reject) => {
          s.close((err) => (err ? reject(err) : resolve()));
          s.closeIdleConnections();
        });
      }
      while (pending.size > 0) await Promise.all([...pending]);
    },
  };
}
