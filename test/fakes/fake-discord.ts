// A loopback stand-in for Discord: the REST API (the parts opsdeck uses) and a gateway over `ws`.
// It checks the bot token like Discord does, acknowledges each interaction only once, and records
// every request so tests can assert on what the real discord.js client sent.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export interface RecordedRequest {
  seq: number;
  method: string;
  /** Decoded path below `/api/v10`, e.g. `/webhooks/1/tok/messages/@original`. */
  path: string;
  rawPath: string;
  query: URLSearchParams;
  auth: string | undefined;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- arbitrary JSON from the client, inspected by tests
}

export interface FakeDiscordOptions {
  token: string;
  applicationId: string;
  guildId: string;
  channelId: string;
  botUserId?: string;
}

export interface FakeUser {
  id: string;
  username: string;
}

type Json = Record<string, unknown>;

interface InteractionState {
  token: string;
  acked: boolean;
  /** The message `@original` refers to once acknowledged (component interactions: the clicked message). */
  originalId: string | null;
  clickedMessageId: string | null;
}

export interface FakeDiscord {
  apiUrl: string;
  gatewayUrl: string;
  requests: RecordedRequest[];
  /** Requests no route matched; a test should end with this empty. */
  unexpected: string[];
  /** Current guild commands (as PUT). */
  commands: Json[];
  identifies: number;
  messages: Map<string, Json>;
  /** The id of the message `@original` of an interaction refers to (after it was acknowledged). */
  originalOf(interactionId: string): string | null;
  /** Resolves once a client identified and got READY + GUILD_CREATE (`count`-th identify). */
  waitForIdentify(count: number, timeoutMs?: number): Promise<void>;
  waitFor(pred: (r: RecordedRequest) => boolean, timeoutMs?: number): Promise<RecordedRequest>;
  slashCommand(opts: { user: FakeUser; name: string; args?: string; id?: string }): Json;
  buttonClick(opts: { user: FakeUser; customId: string; messageId: string; id?: string }): Json;
  /** Send INTERACTION_CREATE on every identified gateway connection. */
  sendInteraction(payload: Json): void;
  close(): Promise<void>;
}

const PERMISSIONS = "2248473465835073";

export async function startFakeDiscord(opts: FakeDiscordOptions): Promise<FakeDiscord> {
  const botUserId = opts.botUserId ?? "900000000000000001";
  const requests: RecordedRequest[] = [];
  const unexpected: string[] = [];
  const messages = new Map<string, Json>();
  const interactions = new Map<string, InteractionState>();
  const waiters: Array<{ pred: (r: RecordedRequest) => boolean; resolve: (r: RecordedRequest) => void }> = [];
  let commands: Json[] = [];
  let nextId = 1_300_000_000_000_000n;
  const snowflake = (): string => String(nextId++);
  let seq = 0;
  let identifies = 0;
  const identifyWaiters: Array<{ count: number; resolve: () => void }> = [];
  const sockets = new Set<WebSocket>();
  let gatewaySeq = 0;

  const botUser = { id: botUserId, username: "opsdeck", discriminator: "0", global_name: null, avatar: null, bot: true };

  function messageObject(id: string, body: Json, flags = 0): Json {
    return {
      id,
      type: 20,
      channel_id: opts.channelId,
      author: botUser,
      content: typeof body.content === "string" ? body.content : "",
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: Array.isArray(body.embeds) ? body.embeds : [],
      components: Array.isArray(body.components) ? body.components : [],
      pinned: false,
      flags,
      webhook_id: opts.applicationId,
      application_id: opts.applicationId,
    };
  }

  function send(res: ServerResponse, status: number, body?: unknown): void {
    if (body === undefined) {
      res.writeHead(status);
      res.end();
      return;
    }
    res.writeHead(status, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  }

  function error(res: ServerResponse, status: number, code: number, message: string): void {
    send(res, status, { code, message });
  }

  const authed = (r: RecordedRequest): boolean => r.auth === `Bot ${opts.token}`;

  function route(r: RecordedRequest, res: ServerResponse): void {
    const p = r.path.split("/").filter(Boolean);
    // GET /gateway/bot
    if (r.method === "GET" && r.path === "/gateway/bot") {
      if (!authed(r)) return error(res, 401, 0, "401: Unauthorized");
      return send(res, 200, { url: gatewayUrl, shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 0, max_concurrency: 1 } });
    }
    // /applications/:app/guilds/:guild/commands
    if (p[0] === "applications" && p[2] === "guilds" && p[4] === "commands" && p.length === 5) {
      if (!authed(r)) return error(res, 401, 0, "401: Unauthorized");
      if (p[1] !== opts.applicationId || p[3] !== opts.guildId) return error(res, 404, 10002, "Unknown Application");
      if (r.method === "GET") return send(res, 200, commands);
      if (r.method === "PUT") {
        if (!Array.isArray(r.body)) return error(res, 400, 50035, "Invalid Form Body");
        commands = (r.body as Json[]).map((c) => ({
          ...c,
          id: snowflake(),
          application_id: opts.applicationId,
          guild_id: opts.guildId,
          version: snowflake(),
          type: c.type ?? 1,
          default_member_permissions: null,
          nsfw: false,
        }));
        return send(res, 200, commands);
      }
    }
    // POST /interactions/:id/:token/callback (no bot auth: the token in the path is the credential)
    if (r.method === "POST" && p[0] === "interactions" && p[3] === "callback" && p.length === 4) {
      const state = interactions.get(p[1] ?? "");
      if (!state || state.token !== p[2]) return error(res, 404, 10062, "Unknown interaction");
      if (state.acked) return error(res, 400, 40060, "Interaction has already been acknowledged.");
      const type = Number(r.body?.type);
      const data = (r.body?.data ?? {}) as Json;
      const flags = typeof data.flags === "number" ? data.flags : 0;
      if (type === 4 || type === 5) {
        const id = snowflake();
        messages.set(id, messageObject(id, type === 4 ? data : {}, type === 5 ? flags | 128 : flags));
        state.originalId = id;
      } else if ((type === 6 || type === 7) && state.clickedMessageId) {
        state.originalId = state.clickedMessageId;
        if (type === 7) {
          const old = messages.get(state.clickedMessageId) ?? {};
          messages.set(state.clickedMessageId, { ...old, ...data });
        }
      } else return error(res, 400, 50035, `Invalid Form Body (callback type ${type})`);
      state.acked = true;
      return r.query.get("with_response") === "true" ? send(res, 200, {}) : send(res, 204);
    }
    // /webhooks/:app/:token[/messages/:id]
    if (p[0] === "webhooks") {
      if (p[1] !== opts.applicationId) return error(res, 404, 10015, "Unknown Webhook");
      const state = [...interactions.values()].find((s) => s.token === p[2]);
      if (!state || !state.acked) return error(res, 404, 10015, "Unknown Webhook");
      if (r.method === "POST" && p.length === 3) {
        const id = snowflake();
        const msg = messageObject(id, r.body as Json, Number((r.body as Json).flags ?? 0));
        messages.set(id, msg);
        return send(res, 200, msg);
      }
      if (p[3] === "messages" && p.length === 5) {
        const id = p[4] === "@original" ? state.originalId : (p[4] ?? null);
        const old = id ? messages.get(id) : undefined;
        if (!id || !old) return error(res, 404, 10008, "Unknown Message");
        if (r.method === "PATCH") {
          const updated = { ...old, ...(r.body as Json), edited_timestamp: new Date().toISOString() };
          messages.set(id, updated);
          return send(res, 200, updated);
        }
        if (r.method === "DELETE") {
          messages.delete(id);
          if (p[4] === "@original") state.originalId = null;
          return send(res, 204);
        }
      }
    }
    // POST /channels/:id/messages
    if (r.method === "POST" && p[0] === "channels" && p[2] === "messages" && p.length === 3) {
      if (!authed(r)) return error(res, 401, 0, "401: Unauthorized");
      const id = snowflake();
      const msg = { ...messageObject(id, r.body as Json), channel_id: p[1], type: 0 };
      messages.set(id, msg);
      return send(res, 200, msg);
    }
    // PATCH /channels/:id/messages/:id — Edit Message with the bot token: only the bot's own
    // messages in that channel; ephemeral messages are not reachable here (Unknown Message).
    if (r.method === "PATCH" && p[0] === "channels" && p[2] === "messages" && p.length === 4) {
      if (!authed(r)) return error(res, 401, 0, "401: Unauthorized");
      const old = messages.get(p[3] ?? "");
      if (!old || old.channel_id !== p[1] || (Number(old.flags) & 64) !== 0) return error(res, 404, 10008, "Unknown Message");
      if ((old.author as Json | undefined)?.id !== botUserId) return error(res, 403, 50005, "Cannot edit a message authored by another user");
      const body = (r.body ?? {}) as Json;
      if (body.embeds !== undefined && !Array.isArray(body.embeds)) return error(res, 400, 50035, "Invalid Form Body");
      const updated = { ...old, ...body, edited_timestamp: new Date().toISOString() };
      messages.set(p[3] ?? "", updated);
      return send(res, 200, updated);
    }
    unexpected.push(`${r.method} ${r.rawPath}`);
    error(res, 404, 0, `404: Not Found (fake Discord has no route for ${r.method} ${r.path}; add it to test/fakes/fake-discord.ts)`);
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://127.0.0.1");
      const prefix = "/api/v10";
      if (!url.pathname.startsWith(prefix)) {
        unexpected.push(`${req.method} ${url.pathname}`);
        return error(res, 404, 0, "404: Not Found");
      }
      const rawPath = url.pathname.slice(prefix.length);
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        return error(res, 400, 50109, "The request body contains invalid JSON.");
      }
      const r: RecordedRequest = {
        seq: ++seq,
        method: req.method ?? "GET",
        path: decodeURIComponent(rawPath),
        rawPath,
        query: url.searchParams,
        auth: req.headers.authorization,
        body,
      };
      requests.push(r);
      route(r, res);
      for (const w of [...waiters]) {
        if (w.pred(r)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(r);
        }
      }
    });
  });

  const wss = new WebSocketServer({ server, path: "/gateway" });
  const dispatch = (ws: WebSocket, t: string, d: unknown): void => {
    ws.send(JSON.stringify({ op: 0, t, s: ++gatewaySeq, d }));
  };
  wss.on("connection", (ws) => {
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: 41_250 }, s: null, t: null }));
    ws.on("message", (raw) => {
      const msg = JSON.parse(String(raw)) as { op: number; d: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- gateway payload
      if (msg.op === 1) ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
      else if (msg.op === 2) {
        if (msg.d?.token !== opts.token) {
          ws.close(4004, "Authentication failed.");
          return;
        }
        identifies += 1;
        sockets.add(ws);
        dispatch(ws, "READY", {
          v: 10,
          user: botUser,
          guilds: [{ id: opts.guildId, unavailable: true }],
          session_id: `session-${identifies}`,
          resume_gateway_url: gatewayUrl,
          shard: [0, 1],
          application: { id: opts.applicationId, flags: 0 },
          private_channels: [],
        });
        dispatch(ws, "GUILD_CREATE", {
          id: opts.guildId,
          name: "opsdeck test guild",
          icon: null,
          owner_id: "100000000000000001",
          unavailable: false,
          member_count: 3,
          joined_at: new Date().toISOString(),
          large: false,
          features: [],
          roles: [{ id: opts.guildId, name: "@everyone", permissions: PERMISSIONS, position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
          channels: [{ id: opts.channelId, type: 0, name: "ops", guild_id: opts.guildId, position: 0, permission_overwrites: [], nsfw: false, parent_id: null }],
          threads: [],
          members: [],
          presences: [],
          voice_states: [],
          emojis: [],
          stickers: [],
          stage_instances: [],
          guild_scheduled_events: [],
          preferred_locale: "en-US",
        });
        for (const w of [...identifyWaiters]) {
          if (identifies >= w.count) {
            identifyWaiters.splice(identifyWaiters.indexOf(w), 1);
            w.resolve();
          }
        }
      } else if (msg.op === 6) {
        ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
      }
    });
    ws.on("close", () => sockets.delete(ws));
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  const gatewayUrl = `ws://127.0.0.1:${port}/gateway`;

  function interactionBase(user: FakeUser, id: string | undefined, type: number): Json {
    const interactionId = id ?? snowflake();
    const token = `tok-${interactionId}-${Math.random().toString(36).slice(2)}`;
    if (!interactions.has(interactionId)) interactions.set(interactionId, { token, acked: false, originalId: null, clickedMessageId: null });
    const state = interactions.get(interactionId) as InteractionState;
    return {
      id: interactionId,
      application_id: opts.applicationId,
      type,
      token: state.token,
      version: 1,
      guild_id: opts.guildId,
      guild: { id: opts.guildId, locale: "en-US", features: [] },
      channel_id: opts.channelId,
      channel: { id: opts.channelId, type: 0, guild_id: opts.guildId, name: "ops", position: 0, permission_overwrites: [], nsfw: false, parent_id: null },
      member: {
        user: { id: user.id, username: user.username, discriminator: "0", global_name: user.username, avatar: null },
        roles: [],
        joined_at: new Date().toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
        pending: false,
        nick: null,
        avatar: null,
        premium_since: null,
        permissions: PERMISSIONS,
      },
      app_permissions: PERMISSIONS,
      locale: "en-US",
      guild_locale: "en-US",
      entitlements: [],
      authorizing_integration_owners: { "0": opts.guildId },
      context: 0,
      attachment_size_limit: 10_485_760,
    };
  }

  return {
    apiUrl: `http://127.0.0.1:${port}/api`,
    gatewayUrl,
    requests,
    unexpected,
    get commands() {
      return commands;
    },
    get identifies() {
      return identifies;
    },
    messages,
    originalOf: (interactionId) => interactions.get(interactionId)?.originalId ?? null,
    waitForIdentify(count, timeoutMs = 10_000) {
      if (identifies >= count) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no IDENTIFY #${count} within ${timeoutMs} ms`)), timeoutMs);
        identifyWaiters.push({ count, resolve: () => (clearTimeout(t), resolve()) });
      });
    },
    waitFor(pred, timeoutMs = 10_000) {
      const found = requests.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`fake Discord: expected request not seen within ${timeoutMs} ms; saw:\n${requests.map((r) => `${r.method} ${r.path}`).join("\n")}`)), timeoutMs);
        waiters.push({ pred, resolve: (r) => (clearTimeout(t), resolve(r)) });
      });
    },
    slashCommand({ user, name, args, id }) {
      const cmd = commands.find((c) => c.name === name);
      return {
        ...interactionBase(user, id, 2),
        data: {
          id: cmd?.id ?? snowflake(),
          name,
          type: 1,
          guild_id: opts.guildId,
          ...(args !== undefined ? { options: [{ type: 3, name: "args", value: args }] } : {}),
        },
      };
    },
    buttonClick({ user, customId, messageId, id }) {
      const base = interactionBase(user, id, 3);
      const state = interactions.get(String(base.id)) as InteractionState;
      state.clickedMessageId = messageId;
      const message = messages.get(messageId);
      if (!message) throw new Error(`fake Discord: no message ${messageId} to click on`);
      return { ...base, data: { custom_id: customId, component_type: 2 }, message };
    },
    sendInteraction(payload) {
      for (const ws of sockets) dispatch(ws, "INTERACTION_CREATE", payload);
    },
    async close() {
      for (const ws of wss.clients) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
