// A fake Hetzner Cloud API v1 (servers, images, actions, pricing) on loopback. It checks the
// bearer token, method, path, query keys and JSON body shape like the real API, keeps servers,
// snapshots and actions in memory, and answers with Hetzner's JSON shapes: `{ servers: [...],
// meta: { pagination } }`, `{ error: { code, message } }`. Actions stay `running` for a number of
// polls before they succeed (or fail, when scripted).
import { z } from "zod";
import { startFakeHttp, type FakeHttpServer, type FakeRequest, type FakeResponse } from "./fake-http.js";

export interface FakeServer {
  id: number;
  name: string;
  status: string;
  created: string;
  ipv4: string;
  serverType: string;
  location: string;
  labels: Record<string, string>;
  image: string;
}

export interface FakeImage {
  id: number;
  type: "snapshot" | "system";
  name: string | null;
  status: "creating" | "available";
  description: string;
  created: string;
  labels: Record<string, string>;
  createdFrom: { id: number; name: string } | null;
}

interface FakeAction {
  id: number;
  command: string;
  pollsLeft: number;
  fail?: { code: string; message: string };
  onSuccess?: () => void;
  status: "running" | "success" | "error";
}

export interface FakeHetznerOptions {
  token: string;
  readOnlyToken?: string;
  /** Largest page returned, whatever `per_page` asks (to force pagination). */
  maxPerPage?: number;
  /** Polls of `GET /actions/{id}` an action stays `running`. */
  actionPolls?: number;
  /** server type → location → monthly gross/net. */
  prices?: Record<string, Record<string, { net: string; gross: string }>>;
  systemImages?: string[];
}

export interface FakeHetzner extends FakeHttpServer {
  /** Base URL for the client: `http://127.0.0.1:port/v1`. */
  baseUrl: string;
  servers(): FakeServer[];
  snapshots(): FakeImage[];
  addServer(s: Partial<FakeServer> & { name: string }): FakeServer;
  addSnapshot(s: Partial<FakeImage> & { created: string; labels: Record<string, string> }): FakeImage;
  /** The next action with this command fails with the error. */
  failNextAction(command: string, error: { code: string; message: string }): void;
  /** Action ids created so far with their command and final status. */
  actions(): Array<{ id: number; command: string; status: string }>;
}

const LabelRecord = z.record(z.string(), z.string());
const CreateServerBody = z.strictObject({
  name: z.string().regex(/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/),
  server_type: z.string().min(1),
  location: z.string().min(1),
  image: z.string().min(1),
  labels: LabelRecord,
  start_after_create: z.boolean(),
  ssh_keys: z.array(z.string()).optional(),
});
const CreateImageBody = z.strictObject({ description: z.string().min(1), type: z.literal("snapshot"), labels: LabelRecord });

function hError(status: number, code: string, message: string): FakeResponse {
  return { status, body: { error: { code, message, details: {} } } };
}

/** `k=v`, `k==v`, `k!=v`, `k`, `!k`, comma-separated (the subset opsdeck uses). */
function matchesSelector(labels: Record<string, string>, selector: string | null): boolean {
  if (!selector) return true;
  return selector.split(",").every((term) => {
    const t = term.trim();
    let m: RegExpExecArray | null;
    if ((m = /^([^=!]+)!=(.*)$/.exec(t))) return labels[m[1] ?? ""] !== m[2];
    if ((m = /^([^=!]+)==?(.*)$/.exec(t))) return labels[m[1] ?? ""] === m[2];
    if (t.startsWith("!")) return !(t.slice(1) in labels);
    return t in labels;
  });
}

function paginate<T>(items: T[], query: URLSearchParams, maxPerPage: number): { page: T[]; meta: unknown } {
  const perPage = Math.min(Number(query.get("per_page") ?? 25), 50, maxPerPage);
  const page = Number(query.get("page") ?? 1);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  return {
    page: items.slice((page - 1) * perPage, page * perPage),
    meta: { pagination: { page, per_page: perPage, previous_page: page > 1 ? page - 1 : null, next_page: page < last ? page + 1 : null, last_page: last, total_entries: items.length } },
  };
}

export async function startFakeHetzner(options: FakeHetznerOptions): Promise<FakeHetzner> {
  let nextId = 1000;
  const servers = new Map<number, FakeServer>();
  const images = new Map<number, FakeImage>();
  const actions = new Map<number, FakeAction>();
  const actionFailures = new Map<string, { code: string; message: string }>();
  const maxPerPage = options.maxPerPage ?? 50;
  const prices = options.prices ?? { cx22: { nbg1: { net: "3.7900", gross: "4.5100" } }, cx32: { nbg1: { net: "6.8000", gross: "8.0900" } } };
  for (const name of options.systemImages ?? ["debian-12", "ubuntu-24.04"]) {
    const id = nextId++;
    images.set(id, { id, type: "system", name, status: "available", description: name, created: "2023-06-13T00:00:00+00:00", labels: {}, createdFrom: null });
  }

  const serverJson = (s: FakeServer): unknown => ({
    id: s.id,
    name: s.name,
    status: s.status,
    created: s.created,
    public_net: { ipv4: { id: s.id + 1, ip: s.ipv4, blocked: false, dns_ptr: "static.example" }, ipv6: { id: s.id + 2, ip: "2001:db8::/64", blocked: false, dns_ptr: [] }, floating_ips: [], firewalls: [] },
    private_net: [],
    server_type: { id: 1, name: s.serverType, description: s.serverType.toUpperCase(), cores: 2, memory: 4, disk: 40, deprecated: false, prices: [], storage_type: "local", cpu_type: "shared", architecture: "x86" },
    datacenter: { id: 2, name: `${s.location}-dc3`, description: "DC", location: { id: 3, name: s.location, description: "loc", country: "DE", city: "Nuremberg", latitude: 49.45, longitude: 11.07, network_zone: "eu-central" } },
    image: null,
    labels: s.labels,
    protection: { delete: false, rebuild: false },
    included_traffic: 21990232555520,
    outgoing_traffic: 0,
    ingoing_traffic: 0,
  });
  const imageJson = (i: FakeImage): unknown => ({
    id: i.id,
    type: i.type,
    status: i.status,
    name: i.name,
    description: i.description,
    image_size: i.type === "snapshot" ? 1.42 : null,
    disk_size: 40,
    created: i.created,
    created_from: i.createdFrom,
    bound_to: null,
    os_flavor: "debian",
    os_version: "12",
    rapid_deploy: false,
    protection: { delete: false },
    deprecated: null,
    deleted: null,
    labels: i.labels,
    architecture: "x86",
  });
  const actionJson = (a: FakeAction): unknown => ({
    id: a.id,
    command: a.command,
    status: a.status,
    progress: a.status === "running" ? 50 : 100,
    started: "2026-01-01T00:00:00+00:00",
    finished: a.status === "running" ? null : "2026-01-01T00:01:00+00:00",
    resources: [],
    error: a.status === "error" ? a.fail : null,
  });
  const newAction = (command: string, onSuccess?: () => void): FakeAction => {
    const fail = actionFailures.get(command);
    actionFailures.delete(command);
    const a: FakeAction = { id: nextId++, command, pollsLeft: options.actionPolls ?? 1, status: "running", ...(fail ? { fail } : {}), ...(onSuccess ? { onSuccess } : {}) };
    actions.set(a.id, a);
    return a;
  };
  const allowQuery = (q: URLSearchParams, allowed: string[], problem: (t: string) => void): void => {
    for (const k of q.keys()) if (!allowed.includes(k)) problem(`unexpected query parameter "${k}"`);
  };

  const handle = (req: FakeRequest, problem: (t: string) => void): FakeResponse => {
    const auth = req.headers["authorization"];
    if (!auth?.startsWith("Bearer ")) {
      problem("no bearer token");
      return hError(401, "unauthorized", "unable to authenticate");
    }
    const token = auth.slice("Bearer ".length);
    if (token !== options.token && token !== options.readOnlyToken) return hError(401, "unauthorized", "unable to authenticate");
    if (req.method !== "GET" && token !== options.token) return hError(403, "token_readonly", "the token is only allowed to perform GET requests");
    if (req.method !== "GET" && req.method !== "DELETE" && req.headers["content-type"] !== "application/json") problem("body without content-type application/json");
    const p = req.path;
    let m: RegExpExecArray | null;

    if (p === "/v1/servers" && req.method === "GET") {
      allowQuery(req.query, ["label_selector", "name", "page", "per_page", "sort", "status"], problem);
      const name = req.query.get("name");
      const list = [...servers.values()].filter((s) => (!name || s.name === name) && matchesSelector(s.labels, req.query.get("label_selector")));
      const { page, meta } = paginate(list, req.query, maxPerPage);
      return { status: 200, body: { servers: page.map(serverJson), meta } };
    }
    if (p === "/v1/servers" && req.method === "POST") {
      allowQuery(req.query, [], problem);
      const body = CreateServerBody.parse(req.body);
      if ([...servers.values()].some((s) => s.name === body.name)) return hError(409, "uniqueness_error", "server name is already used");
      if (!prices[body.server_type]) return hError(400, "invalid_input", `server type ${body.server_type} not found`);
      const image = [...images.values()].find((i) => String(i.id) === body.image || i.name === body.image);
      if (!image || image.status !== "available") return hError(400, "invalid_input", `image ${body.image} not found`);
      const id = nextId++;
      const server: FakeServer = { id, name: body.name, status: "initializing", created: new Date().toISOString(), ipv4: `203.0.113.${(id % 200) + 1}`, serverType: body.server_type, location: body.location, labels: body.labels, image: body.image };
      servers.set(id, server);
      const create = newAction("create_server", () => (server.status = "off"));
      const start = newAction("start_server", () => (server.status = "running"));
      return {
        status: 201,
        body: { server: serverJson(server), action: actionJson(create), next_actions: [actionJson(start)], root_password: body.ssh_keys ? null : "YnVzeWJveC1yb290LXB3" },
      };
    }
    if ((m = /^\/v1\/servers\/(\d+)$/.exec(p))) {
      const server = servers.get(Number(m[1]));
      if (!server) return hError(404, "not_found", "server not found");
      if (req.method === "GET") return { status: 200, body: { server: serverJson(server) } };
      if (req.method === "DELETE") {
        server.status = "deleting";
        const a = newAction("delete_server", () => servers.delete(server.id));
        return { status: 200, body: { action: actionJson(a) } };
      }
    }
    if ((m = /^\/v1\/servers\/(\d+)\/actions\/create_image$/.exec(p)) && req.method === "POST") {
      allowQuery(req.query, [], problem);
      const server = servers.get(Number(m[1]));
      if (!server) return hError(404, "not_found", "server not found");
      const body = CreateImageBody.parse(req.body);
      const id = nextId++;
      const image: FakeImage = { id, type: "snapshot", name: null, status: "creating", description: body.description, created: new Date().toISOString(), labels: body.labels, createdFrom: { id: server.id, name: server.name } };
      images.set(id, image);
      const a = newAction("create_image", () => (image.status = "available"));
      return { status: 201, body: { image: imageJson(image), action: actionJson(a) } };
    }
    if (p === "/v1/images" && req.method === "GET") {
      allowQuery(req.query, ["type", "label_selector", "sort", "status", "page", "per_page", "name"], problem);
      const types = req.query.getAll("type");
      const list = [...images.values()]
        .filter((i) => (types.length === 0 || types.includes(i.type)) && matchesSelector(i.labels, req.query.get("label_selector")))
        .sort((a, b) => (req.query.get("sort") === "created:desc" ? b.created.localeCompare(a.created) : a.id - b.id));
      const { page, meta } = paginate(list, req.query, maxPerPage);
      return { status: 200, body: { images: page.map(imageJson), meta } };
    }
    if ((m = /^\/v1\/images\/(\d+)$/.exec(p)) && req.method === "DELETE") {
      const image = images.get(Number(m[1]));
      if (!image) return hError(404, "not_found", "image not found");
      if (image.type === "system") return hError(422, "unsupported_error", "only snapshot and backup images can be deleted");
      images.delete(image.id);
      return { status: 204 };
    }
    if ((m = /^\/v1\/actions\/(\d+)$/.exec(p)) && req.method === "GET") {
      const a = actions.get(Number(m[1]));
      if (!a) return hError(404, "not_found", "action not found");
      if (a.status === "running") {
        if (a.pollsLeft > 0) a.pollsLeft -= 1;
        else if (a.fail) a.status = "error";
        else {
          a.status = "success";
          a.onSuccess?.();
        }
      }
      return { status: 200, body: { action: actionJson(a) } };
    }
    if (p === "/v1/pricing" && req.method === "GET") {
      allowQuery(req.query, [], problem);
      return {
        status: 200,
        body: {
          pricing: {
            currency: "EUR",
            vat_rate: "19.00",
            image: { price_per_gb_month: { net: "0.0100", gross: "0.0119" } },
            server_types: Object.entries(prices).map(([name, byLoc], i) => ({
              id: i + 1,
              name,
              prices: Object.entries(byLoc).map(([location, monthly]) => ({ location, price_hourly: { net: "0.0060", gross: "0.0071" }, price_monthly: monthly, included_traffic: 21990232555520 })),
            })),
          },
        },
      };
    }
    problem("no such route");
    return hError(404, "not_found", `no route for ${req.method} ${p}`);
  };

  const server = await startFakeHttp("fake Hetzner Cloud API", handle, (status) =>
    status === 429 ? { error: { code: "rate_limit_exceeded", message: "limit of 3600 requests per hour reached" } } : status === 423 ? { error: { code: "locked", message: "server is locked" } } : { error: { code: "server_error", message: `scripted ${status}` } },
  );
  return Object.assign(server, {
    baseUrl: `${server.url}/v1`,
    servers: () => [...servers.values()].map((s) => ({ ...s })),
    snapshots: () => [...images.values()].filter((i) => i.type === "snapshot").map((i) => ({ ...i })),
    addServer(s: Partial<FakeServer> & { name: string }): FakeServer {
      const id = nextId++;
      const full: FakeServer = { id, status: "running", created: new Date().toISOString(), ipv4: `198.51.100.${(id % 200) + 1}`, serverType: "cx22", location: "nbg1", labels: {}, image: "debian-12", ...s };
      servers.set(id, full);
      return full;
    },
    addSnapshot(s: Partial<FakeImage> & { created: string; labels: Record<string, string> }): FakeImage {
      const id = nextId++;
      const full: FakeImage = { id, type: "snapshot", name: null, status: "available", description: `snapshot ${id}`, createdFrom: null, ...s };
      images.set(id, full);
      return full;
    },
    failNextAction(command: string, error: { code: string; message: string }): void {
      actionFailures.set(command, error);
    },
    actions: () => [...actions.values()].map((a) => ({ id: a.id, command: a.command, status: a.status })),
  });
}
