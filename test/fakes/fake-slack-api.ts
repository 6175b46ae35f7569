// A loopback stand-in for the Slack Web API (reached through Bolt's `clientOptions.slackApiUrl`)
// and for `response_url` targets. It checks the bot token like Slack does, checks the shape and
// the Block Kit limits of what is posted, records every call, and records every request it has
// no route for so the test can fail on it.
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type SlackApiMethod = "auth.test" | "chat.postMessage" | "chat.update" | "chat.postEphemeral";

export interface RecordedCall {
  /** `chat.postMessage`…, or `response_url` for posts to a response URL. */
  method: SlackApiMethod | "response_url";
  /** Parsed arguments (form fields with JSON values decoded, or the JSON body). */
  args: Record<string, unknown>;
  /** The raw request body as received. */
  raw: string;
  /** For `response_url`: the id in `/response/<id>`. */
  responseId?: string;
  /** What the fake answered (e.g. the `ts` it gave a posted message). */
  result?: Record<string, unknown>;
  at: number;
}

export interface FakeSlackApiOptions {
  /** The bot token every Web API call must carry as `Authorization: Bearer …`. */
  botToken: string;
  teamId?: string;
  botUserId?: string;
  /** Answer every Web API call (not auth.test) with this HTTP status, e.g. 500 for an outage. */
  failWithStatus?: number;
  /** Channels the bot is not a member of: chat.postMessage answers `not_in_channel`. */
  notInChannel?: string[];
}

export interface FakeSlackApi {
  /** Base URL for `slackApiUrl`, ending in `/api/`. */
  readonly apiUrl: string;
  /** A fresh response_url on this server. */
  responseUrl(id: string): string;
  readonly calls: RecordedCall[];
  /** Requests with no route or a bad token: the test should assert this stays empty. */
  readonly unexpected: string[];
  callsOf(method: RecordedCall["method"]): RecordedCall[];
  /** Resolve with the first call (already made or future) that matches. */
  waitFor(method: RecordedCall["method"], match?: (call: RecordedCall) => boolean, timeoutMs?: number): Promise<RecordedCall>;
  close(): Promise<void>;
}

const LIMITS = { blocks: 50, header: 150, text: 3000, field: 2000, fields: 10, buttonText: 75, buttonValue: 2000, elements: 25 };

function parseBody(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (contentType?.includes("application/json")) return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if (v.startsWith("[") || v.startsWith("{")) {
      try {
        out[k] = JSON.parse(v);
        continue;
      } catch {
        // not JSON: keep the string
      }
    }
    out[k] = v;
  }
  return out;
}

type Json = Record<string, unknown>;
const textOf = (o: unknown): string | undefined => (o && typeof o === "object" && typeof (o as Json)["text"] === "string" ? ((o as Json)["text"] as string) : undefined);

/** The Block Kit rules Slack enforces with `invalid_blocks`; returns the first problem. */
export function checkBlocks(blocks: unknown): string | undefined {
  if (!Array.isArray(blocks)) return "blocks must be an array";
  if (blocks.length > LIMITS.blocks) return `more than ${LIMITS.blocks} blocks`;
  for (const [i, b] of blocks.entries()) {
    const block = b as Json;
    const type = block["type"];
    if (type === "header") {
      const t = textOf(block["text"]);
      if ((block["text"] as Json | undefined)?.["type"] !== "plain_text" || !t || t.length > LIMITS.header) return `blocks[${i}]: header needs plain_text of 1..${LIMITS.header}`;
    } else if (type === "section") {
      const t = block["text"] === undefined ? undefined : textOf(block["text"]);
      const fields = block["fields"] as unknown[] | undefined;
      if (t === undefined && !fields) return `blocks[${i}]: section needs text or fields`;
      if (t !== undefined && (t.length === 0 || t.length > LIMITS.text)) return `blocks[${i}]: section text must be 1..${LIMITS.text}`;
      if (fields && (fields.length > LIMITS.fields || fields.some((f) => (textOf(f)?.length ?? 0) > LIMITS.field || !textOf(f)))) return `blocks[${i}]: bad fields`;
    } else if (type === "context") {
      const els = block["elements"] as unknown[] | undefined;
      if (!els || els.length === 0 || els.length > 10 || els.some((e) => !textOf(e) || (textOf(e)?.length ?? 0) > LIMITS.text)) return `blocks[${i}]: bad context`;
    } else if (type === "actions") {
      const els = block["elements"] as Json[] | undefined;
      if (!els || els.length === 0 || els.length > LIMITS.elements) return `blocks[${i}]: actions needs 1..${LIMITS.elements} elements`;
      const ids = new Set<string>();
      for (const el of els) {
        const label = textOf(el["text"]);
        if (el["type"] !== "button" || !label || label.length > LIMITS.buttonText) return `blocks[${i}]: bad button text`;
        if (typeof el["value"] === "string" && el["value"].length > LIMITS.buttonValue) return `blocks[${i}]: button value too long`;
        const id = el["action_id"];
        if (typeof id !== "string" || ids.has(id)) return `blocks[${i}]: action_id missing or repeated`;
        ids.add(id);
        if (el["style"] !== undefined && el["style"] !== "primary" && el["style"] !== "danger") return `blocks[${i}]: bad style`;
      }
    } else {
      return `blocks[${i}]: unexpected block type ${String(type)}`;
    }
  }
  return undefined;
}

export async function startFakeSlackApi(options: FakeSlackApiOptions): Promise<FakeSlackApi> {
  const calls: RecordedCall[] = [];
  const unexpected: string[] = [];
  const waiters: Array<{ method: RecordedCall["method"]; match: (c: RecordedCall) => boolean; resolve: (c: RecordedCall) => void }> = [];
  const teamId = options.teamId ?? "T0FAKE";
  const botUserId = options.botUserId ?? "UBOT";
  const messages = new Map<string, Set<string>>(); // channel → ts
  let nextTs = 1_700_000_000;

  const record = (call: RecordedCall): void => {
    calls.push(call);
    for (const w of [...waiters]) {
      if (w.method === call.method && w.match(call)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(call);
      }
    }
  };
  const send = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };

  const handle = (req: IncomingMessage, res: ServerResponse, raw: string): void => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const responseMatch = /^\/response\/([A-Za-z0-9_-]+)$/.exec(url.pathname);
    if (req.method === "POST" && responseMatch) {
      let args: Json;
      try {
        args = JSON.parse(raw) as Json;
      } catch {
        unexpected.push(`response_url body is not JSON: ${raw.slice(0, 200)}`);
        return send(res, 400, { ok: false, error: "invalid_json" });
      }
      const problem = args["blocks"] !== undefined ? checkBlocks(args["blocks"]) : undefined;
      if (problem) {
        unexpected.push(`response_url: invalid_blocks (${problem})`);
        return send(res, 400, { ok: false, error: "invalid_blocks" });
      }
      const responseId = responseMatch[1] ?? "";
      // Slack accepts at most 5 posts per response_url.
      if (calls.filter((c) => c.responseId === responseId).length >= 5) {
        unexpected.push(`response_url ${responseId}: used more than 5 times`);
        return send(res, 404, { ok: false, error: "used_url" });
      }
      record({ method: "response_url", args, raw, responseId, at: Date.now() });
      return send(res, 200, { ok: true });
    }

    const methodMatch = /^\/api\/([a-zA-Z.]+)$/.exec(url.pathname);
    const method = methodMatch?.[1] as SlackApiMethod | undefined;
    if (req.method !== "POST" || !method || !["auth.test", "chat.postMessage", "chat.update", "chat.postEphemeral"].includes(method)) {
      unexpected.push(`${req.method} ${url.pathname} — no route in test/fakes/fake-slack-api.ts; add one there if the adapter now calls this method`);
      return send(res, 404, { ok: false, error: "unknown_method" });
    }
    if (req.headers.authorization !== `Bearer ${options.botToken}`) {
      unexpected.push(`${method}: wrong or missing Authorization header`);
      return send(res, 200, { ok: false, error: "invalid_auth" });
    }
    const args = parseBody(raw, req.headers["content-type"]);
    if (method === "auth.test") {
      record({ method, args, raw, at: Date.now() });
      return send(res, 200, { ok: true, url: "https://fake.slack.test/", team: "Fake", user: "opsdeck", team_id: teamId, user_id: botUserId, bot_id: "BFAKE" });
    }
    if (options.failWithStatus) {
      record({ method, args, raw, at: Date.now() });
      res.writeHead(options.failWithStatus, { "content-type": "text/plain" });
      return void res.end("upstream failure");
    }
    const channel = args["channel"];
    if (typeof channel !== "string" || channel.length === 0) {
      unexpected.push(`${method}: no channel`);
      return send(res, 200, { ok: false, error: "channel_not_found" });
    }
    if (args["text"] === undefined && args["blocks"] === undefined) {
      unexpected.push(`${method}: neither text nor blocks`);
      return send(res, 200, { ok: false, error: "no_text" });
    }
    const problem = args["blocks"] !== undefined ? checkBlocks(args["blocks"]) : undefined;
    if (problem) {
      unexpected.push(`${method}: invalid_blocks (${problem})`);
      return send(res, 200, { ok: false, error: "invalid_blocks", errors: [problem] });
    }
    if (method === "chat.postMessage") {
      if (options.notInChannel?.includes(channel)) {
        record({ method, args, raw, at: Date.now() });
        return send(res, 200, { ok: false, error: "not_in_channel" });
      }
      const ts = `${nextTs++}.000100`;
      if (!messages.has(channel)) messages.set(channel, new Set());
      messages.get(channel)?.add(ts);
      const result = { ok: true, channel, ts, message: { ts, text: args["text"] } };
      record({ method, args, raw, result, at: Date.now() });
      return send(res, 200, result);
    }
    if (method === "chat.update") {
      const ts = args["ts"];
      if (typeof ts !== "string" || !messages.get(channel)?.has(ts)) {
        unexpected.push(`chat.update of unknown message ${channel}/${String(ts)}`);
        return send(res, 200, { ok: false, error: "message_not_found" });
      }
      record({ method, args, raw, at: Date.now() });
      return send(res, 200, { ok: true, channel, ts, text: args["text"] });
    }
    // chat.postEphemeral
    if (typeof args["user"] !== "string") {
      unexpected.push("chat.postEphemeral: no user");
      return send(res, 200, { ok: false, error: "user_not_in_channel" });
    }
    record({ method, args, raw, at: Date.now() });
    return send(res, 200, { ok: true, message_ts: `${nextTs++}.000200` });
  };

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString("utf8"));
      } catch (err) {
        unexpected.push(`fake crashed: ${(err as Error).message}`);
        send(res, 500, { ok: false, error: "fake_crashed" });
      }
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    apiUrl: `${base}/api/`,
    responseUrl: (id) => `${base}/response/${id}`,
    calls,
    unexpected,
    callsOf: (method) => calls.filter((c) => c.method === method),
    waitFor(method, match = () => true, timeoutMs = 5000) {
      const found = calls.find((c) => c.method === method && match(c));
      if (found) return Promise.resolve(found);
      return new Promise<RecordedCall>((resolve, reject) => {
        const waiter = {
          method,
          match,
          resolve: (c: RecordedCall) => {
            clearTimeout(timer);
            resolve(c);
          },
        };
        const timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(waiter), 1);
          reject(new Error(`fake Slack API: no ${method} call matched within ${timeoutMs} ms; calls so far: ${calls.map((c) => c.method).join(", ") || "none"}; unexpected: ${unexpected.join("; ") || "none"}`));
        }, timeoutMs);
        waiters.push(waiter);
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
