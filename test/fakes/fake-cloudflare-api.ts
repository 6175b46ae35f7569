// A fake Cloudflare API v4 (zones and DNS records) on loopback, reached through the real SDK's
// `baseURL`. It checks what Cloudflare checks — bearer token, token permission, method, path,
// JSON body shape — and answers with Cloudflare's envelope `{ success, errors, messages, result,
// result_info }`, including page-number pagination.
import { randomBytes } from "node:crypto";
import { z } from "zod";
import { startFakeHttp, type FakeHttpServer, type FakeRequest, type FakeResponse } from "./fake-http.js";

export interface FakeDnsRecord {
  id: string;
  zone_id: string;
  type: "A" | "AAAA" | "CNAME";
  name: string;
  content: string;
  ttl: number;
  proxied: boolean;
  comment?: string;
}

export interface FakeCloudflareOptions {
  /** A token with Zone:DNS:Edit. */
  token: string;
  /** A token that may read but not edit (answers 403 "Authentication error" on writes). */
  readOnlyToken?: string;
  zones: Array<{ id: string; name: string }>;
  /** Largest page the fake returns, whatever `per_page` asks (to force pagination). */
  maxPerPage?: number;
}

export interface FakeCloudflare extends FakeHttpServer {
  /** Base URL for the SDK's `baseURL` option. */
  baseURL: string;
  records(): FakeDnsRecord[];
  addRecord(record: Omit<FakeDnsRecord, "id">): FakeDnsRecord;
}

const RecordBody = z.strictObject({
  type: z.enum(["A", "AAAA", "CNAME"]),
  name: z.string().min(1),
  content: z.string().min(1),
  ttl: z.number().int(),
  proxied: z.boolean(),
  comment: z.string().optional(),
});

function envelope(result: unknown, resultInfo?: unknown): unknown {
  return { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) };
}

function failure(status: number, code: number, message: string): FakeResponse {
  return { status, body: { success: false, errors: [{ code, message }], messages: [], result: null } };
}

function paginate<T>(items: T[], query: URLSearchParams, maxPerPage: number): { page: T[]; info: unknown } {
  const perPage = Math.min(Number(query.get("per_page") ?? 20), maxPerPage);
  const page = Number(query.get("page") ?? 1);
  const start = (page - 1) * perPage;
  return {
    page: items.slice(start, start + perPage),
    info: { page, per_page: perPage, count: items.slice(start, start + perPage).length, total_count: items.length, total_pages: Math.max(1, Math.ceil(items.length / perPage)) },
  };
}

function checkQuery(query: URLSearchParams, allowed: string[], problem: (t: string) => void): void {
  for (const key of query.keys()) if (!allowed.includes(key)) problem(`unexpected query parameter "${key}"`);
}

export async function startFakeCloudflare(options: FakeCloudflareOptions): Promise<FakeCloudflare> {
  const records: FakeDnsRecord[] = [];
  const maxPerPage = options.maxPerPage ?? 100;
  const zoneById = new Map(options.zones.map((z) => [z.id, z]));

  const handle = (req: FakeRequest, problem: (t: string) => void): FakeResponse => {
    const auth = req.headers["authorization"];
    if (req.headers["x-auth-key"] || req.headers["x-auth-email"]) problem("sent X-Auth-Key/X-Auth-Email next to a token");
    if (!auth) {
      problem("no Authorization header");
      return failure(400, 9106, "Missing X-Auth-Key, X-Auth-Email or Authorization headers");
    }
    const token = auth.replace(/^Bearer /, "");
    if (token !== options.token && token !== options.readOnlyToken) return failure(403, 9109, "Invalid access token");
    const write = req.method !== "GET";
    if (write && token !== options.token) return failure(403, 10000, "Authentication error");

    const m = /^\/client\/v4\/zones(?:\/([^/]+)\/dns_records(?:\/([^/]+))?)?$/.exec(req.path);
    if (!m) {
      problem("no such route");
      return failure(404, 7003, "Could not route to " + req.path);
    }
    const [, zoneId, recordId] = m;
    if (!zoneId) {
      if (req.method !== "GET") return (problem("method not allowed"), failure(405, 10405, "Method not allowed"));
      checkQuery(req.query, ["name", "per_page", "page"], problem);
      const name = req.query.get("name");
      const zones = options.zones.filter((z) => !name || z.name === name);
      const { page, info } = paginate(zones, req.query, maxPerPage);
      return { status: 200, body: envelope(page.map((z) => ({ id: z.id, name: z.name, status: "active" })), info) };
    }
    if (!zoneById.has(zoneId)) return failure(404, 7003, "Could not route to /zones/" + zoneId + ", perhaps your object identifier is invalid?");

    if (!recordId && req.method === "GET") {
      checkQuery(req.query, ["name.exact", "type", "per_page", "page"], problem);
      const name = req.query.get("name.exact");
      const type = req.query.get("type");
      const found = records.filter((r) => r.zone_id === zoneId && (!name || r.name === name) && (!type || r.type === type));
      const { page, info } = paginate(found, req.query, maxPerPage);
      return { status: 200, body: envelope(page, info) };
    }
    if (!recordId && req.method === "POST") {
      checkQuery(req.query, [], problem);
      const body = RecordBody.parse(req.body);
      if (records.some((r) => r.zone_id === zoneId && r.name === body.name && r.type === body.type && r.content === body.content)) {
        return failure(400, 81058, "An identical record already exists.");
      }
      if (records.some((r) => r.zone_id === zoneId && r.name === body.name && (r.type === "CNAME" || body.type === "CNAME"))) {
        return failure(400, 81053, "An A, AAAA, or CNAME record with that host already exists.");
      }
      const created = { id: randomBytes(16).toString("hex"), zone_id: zoneId, ...body };
      records.push(created);
      return { status: 200, body: envelope(created) };
    }
    const index = records.findIndex((r) => r.id === recordId && r.zone_id === zoneId);
    if (recordId && req.method === "PUT") {
      checkQuery(req.query, [], problem);
      const body = RecordBody.parse(req.body);
      if (index < 0) return failure(404, 81044, "Record does not exist.");
      const updated = { id: recordId, zone_id: zoneId, ...body };
      records[index] = updated;
      return { status: 200, body: envelope(updated) };
    }
    if (recordId && req.method === "DELETE") {
      if (req.body !== undefined) problem("DELETE with a body");
      if (index < 0) return failure(404, 81044, "Record does not exist.");
      records.splice(index, 1);
      return { status: 200, body: envelope({ id: recordId }) };
    }
    problem("unexpected method");
    return failure(405, 10405, "Method not allowed");
  };

  const server = await startFakeHttp("fake Cloudflare API", handle, (status) =>
    status === 429
      ? { success: false, errors: [{ code: 10000, message: "Rate limited. Please wait and consider throttling your request speed" }], messages: [], result: null }
      : { success: false, errors: [{ code: 10002, message: `Internal error (scripted ${status})` }], messages: [], result: null },
  );
  return Object.assign(server, {
    baseURL: `${server.url}/client/v4`,
    records: () => records.map((r) => ({ ...r })),
    addRecord(record: Omit<FakeDnsRecord, "id">): FakeDnsRecord {
      const created = { id: randomBytes(16).toString("hex"), ...record };
      records.push(created);
      return created;
    },
  });
}
