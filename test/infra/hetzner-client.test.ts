// The Hetzner Cloud client over real fetch against a loopback fake of the API.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import { Secret } from "../../src/core/secret.js";
import { createHetznerClient, type HetznerClient, type HetznerClientOptions } from "../../src/ops/adapters/hetzner-client.js";
import { captureLog, type CapturedLog } from "../fakes/capture-log.js";
import { startFakeHetzner, type FakeHetzner, type FakeHetznerOptions } from "../fakes/fake-hetzner-api.js";

const token = `hc-${randomBytes(16).toString("hex")}`;
const readOnlyToken = `hc-ro-${randomBytes(16).toString("hex")}`;
let fake: FakeHetzner;
let captured: CapturedLog;

async function restart(options: Partial<FakeHetznerOptions> = {}): Promise<void> {
  await fake?.close();
  fake = await startFakeHetzner({ token, readOnlyToken, ...options });
}

function client(overrides: Partial<HetznerClientOptions> = {}): HetznerClient {
  return createHetznerClient({
    baseUrl: fake.baseUrl,
    token: new Secret(token),
    log: captured.log,
    tokenEnvName: "HCLOUD_TOKEN",
    pollMs: 5,
    retry: { minDelayMs: 5, maxDelayMs: 20 },
    ...overrides,
  });
}

async function failureOf(p: Promise<unknown>): Promise<OpsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OpsError);
  return err as OpsError;
}

beforeEach(async () => {
  captured = captureLog([token, readOnlyToken]);
  fake = await startFakeHetzner({ token, readOnlyToken });
});

afterEach(async () => {
  await fake.close();
  const logged = captured.lines.join("");
  expect(logged).not.toContain(token);
  expect(logged).not.toContain("YnVzeWJveC1yb290LXB3"); // the fake's root password
  fake.assertNoProblems();
});

describe("servers", () => {
  it("lists every page and filters by label selector and name prefix", async () => {
    await restart({ maxPerPage: 2 });
    for (const n of ["opsdeck-preview-a", "opsdeck-preview-b", "other-1", "other-2", "opsdeck-preview-c"]) {
      fake.addServer({ name: n, labels: n.startsWith("opsdeck") ? { "managed-by": "opsdeck" } : {} });
    }
    const c = client();
    expect((await c.listServers()).map((s) => s.name)).toHaveLength(5);
    expect((await c.listServers({ namePrefix: "opsdeck-preview" })).map((s) => s.name).sort()).toEqual(["opsdeck-preview-a", "opsdeck-preview-b", "opsdeck-preview-c"]);
    expect((await c.listServers({ labelSelector: "managed-by=opsdeck" })).length).toBe(3);
    expect(fake.seen.filter((s) => s.startsWith("GET /v1/servers?")).some((s) => s.includes("page=3"))).toBe(true);
  });

  it("creates a server from an image, waits for its actions and deletes it", async () => {
    const c = client();
    const { server, actions } = await c.createServer({ name: "opsdeck-preview-preprod", serverType: "cx22", location: "nbg1", image: "debian-12", labels: { "opsdeck-env": "preprod" }, sshKeys: ["deploy"] });
    expect(server).toMatchObject({ name: "opsdeck-preview-preprod", serverType: "cx22", location: "nbg1", labels: { "opsdeck-env": "preprod" } });
    expect(server.ipv4).toMatch(/^203\.0\.113\.\d+$/);
    expect(actions.map((a) => a.command)).toEqual(["create_server", "start_server"]);
    for (const a of actions) expect((await c.waitForAction(a, 5_000)).status).toBe("success");
    expect((await c.getServer(server.id)).status).toBe("running");

    const del = await c.deleteServer(server.id);
    await c.waitForAction(del, 5_000);
    expect(fake.servers()).toEqual([]);
    expect((await failureOf(c.getServer(server.id))).code).toBe("not_found");
  });

  it("a second server with the same name is a conflict", async () => {
    fake.addServer({ name: "opsdeck-preview-preprod" });
    const err = await failureOf(client().createServer({ name: "opsdeck-preview-preprod", serverType: "cx22", location: "nbg1", image: "debian-12", labels: {} }));
    expect(err.code).toBe("conflict");
    expect(err.message).toContain("uniqueness_error");
  });
});

describe("snapshots", () => {
  it("creates a snapshot with description and labels, and finds the newest available one", async () => {
    const server = fake.addServer({ name: "opsdeck-preview-preprod" });
    fake.addSnapshot({ created: "2026-01-01T00:00:00+00:00", labels: { "opsdeck-env": "preprod" } });
    const c = client();
    const { snapshot, action } = await c.createSnapshot(server.id, { description: "golden preprod", labels: { "opsdeck-env": "preprod" } });
    expect(snapshot).toMatchObject({ description: "golden preprod", status: "creating", createdFromServer: "opsdeck-preview-preprod" });
    // still creating: the older one is the newest usable snapshot
    expect((await c.newestSnapshot("opsdeck-env=preprod"))?.created.toISOString()).toBe("2026-01-01T00:00:00.000Z");
    await c.waitForAction(action, 5_000);
    expect((await c.newestSnapshot("opsdeck-env=preprod"))?.id).toBe(snapshot.id);
    expect(await c.newestSnapshot("opsdeck-env=staging")).toBeUndefined();
  });

  it("retention deletes only the oldest snapshots beyond N, and only those matching", async () => {
    await restart({ maxPerPage: 2 });
    const dates = ["2026-01-05", "2026-01-01", "2026-01-04", "2026-01-02", "2026-01-03"];
    for (const d of dates) fake.addSnapshot({ created: `${d}T00:00:00+00:00`, labels: { "opsdeck-env": "preprod", "opsdeck-role": "golden" } });
    const other = fake.addSnapshot({ created: "2025-01-01T00:00:00+00:00", labels: { "opsdeck-env": "staging", "opsdeck-role": "golden" } });
    const deleted = await client().pruneSnapshots("opsdeck-env=preprod,opsdeck-role=golden", 2);
    expect(deleted.map((s) => s.created.toISOString().slice(0, 10))).toEqual(["2026-01-03", "2026-01-02", "2026-01-01"]);
    expect(fake.snapshots().map((s) => s.created.slice(0, 10)).sort()).toEqual(["2025-01-01", "2026-01-04", "2026-01-05"]);
    expect(fake.snapshots().some((s) => s.id === other.id)).toBe(true);
    // nothing beyond N: nothing deleted
    expect(await client().pruneSnapshots("opsdeck-env=preprod,opsdeck-role=golden", 2)).toEqual([]);
  });
});

describe("actions", () => {
  it("times out with a clear error when an action keeps running", async () => {
    await restart({ actionPolls: 1_000_000 });
    const server = fake.addServer({ name: "s1" });
    const { action } = await client().createSnapshot(server.id, { description: "slow", labels: {} });
    const err = await failureOf(client().waitForAction(action, 100));
    expect(err.code).toBe("timeout");
    expect(err.message).toMatch(/create_image .* did not finish within 0 s|create_image .* did not finish/);
  });

  it("a failed action reports its error code and message", async () => {
    const server = fake.addServer({ name: "s1" });
    fake.failNextAction("create_image", { code: "action_failed", message: "disk image could not be read" });
    const { action } = await client().createSnapshot(server.id, { description: "bad", labels: {} });
    const err = await failureOf(client().waitForAction(action, 5_000));
    expect(err.message).toContain("action_failed — disk image could not be read");
  });
});

describe("pricing", () => {
  it("gives the monthly gross price of a server type in a location", async () => {
    expect(await client().serverMonthlyPrice("cx22", "nbg1")).toEqual({ gross: 4.51, net: 3.79, currency: "EUR" });
    expect((await failureOf(client().serverMonthlyPrice("cx22", "ash"))).code).toBe("not_found");
  });
});

describe("errors and retries", () => {
  it("honours Retry-After on 429 and logs the retry", async () => {
    fake.script({ method: "GET", path: /^\/v1\/servers$/, status: 429, headers: { "retry-after": "1" } });
    const started = Date.now();
    expect(await client().listServers()).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(captured.entries(/retrying/)).toEqual([expect.objectContaining({ provider: "hetzner", method: "GET", path: "/servers", status: 429, delayMs: 1000 })]);
  });

  it("retries 5xx on GET, but not a 500 on POST (it may have been carried out)", async () => {
    fake.script({ method: "GET", path: /^\/v1\/pricing$/, status: 503, times: 2 });
    expect((await client().serverMonthlyPrice("cx22", "nbg1")).gross).toBe(4.51);
    expect(captured.entries(/retrying/)).toHaveLength(2);

    fake.script({ method: "POST", path: /^\/v1\/servers$/, status: 500 });
    const err = await failureOf(client().createServer({ name: "x1", serverType: "cx22", location: "nbg1", image: "debian-12", labels: {} }));
    expect(err.message).toMatch(/POST \/servers answered 500/);
    expect(fake.seen.filter((s) => s.startsWith("POST /v1/servers"))).toHaveLength(1);
  });

  it("retries 423 locked (an action is running) and 503 on POST, which were not carried out", async () => {
    const server = fake.addServer({ name: "s1" });
    fake.script({ method: "POST", path: /create_image$/, status: 423 });
    fake.script({ method: "POST", path: /create_image$/, status: 503 });
    const { snapshot } = await client().createSnapshot(server.id, { description: "after lock", labels: {} });
    expect(fake.snapshots().map((s) => s.id)).toEqual([snapshot.id]);
    expect(captured.entries(/retrying/).map((e) => e["status"])).toEqual([423, 503]);
  });

  it("a read-only or unknown token gets an error that says how to fix it, without the token", async () => {
    const ro = await failureOf(client({ token: new Secret(readOnlyToken) }).createServer({ name: "x1", serverType: "cx22", location: "nbg1", image: "debian-12", labels: {} }));
    expect(ro.message).toMatch(/read-only/);
    expect(ro.nextStep).toMatch(/Read & Write .*HCLOUD_TOKEN/);
    expect(`${ro.message}${ro.nextStep}`).not.toContain(readOnlyToken);
    const bad = await failureOf(client({ token: new Secret("hc-wrong-token-0000000000") }).listServers());
    expect(bad.message).toMatch(/rejected the API token/);
    expect(fake.servers()).toEqual([]);
  });

  it("an unreachable API is a clear error", async () => {
    await fake.close();
    const err = await failureOf(client({ baseUrl: "http://127.0.0.1:1/v1", retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 } }).listServers());
    expect(err.message).toMatch(/could not reach the Hetzner Cloud API for GET \/servers/);
    fake = await startFakeHetzner({ token });
  });
});
