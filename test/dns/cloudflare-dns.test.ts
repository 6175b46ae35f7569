// The Cloudflare DNS provider, driven through the real `cloudflare` SDK against a loopback fake.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { OpsError } from "../../src/core/errors.js";
import { Secret } from "../../src/core/secret.js";
import { createCloudflareDns, type CloudflareDnsOptions } from "../../src/ops/adapters/cloudflare-dns.js";
import type { DnsProvider } from "../../src/ops/adapters/dns-provider.js";
import { captureLog, type CapturedLog } from "../fakes/capture-log.js";
import { startFakeCloudflare, type FakeCloudflare } from "../fakes/fake-cloudflare-api.js";

const DOMAIN = "example.com";
const ZONE_ID = "023e105f4ecef8ad9ca31a8372d0c353";
const token = `cf-${randomBytes(12).toString("hex")}`;
const readOnlyToken = `cf-ro-${randomBytes(12).toString("hex")}`;

let fake: FakeCloudflare;
let captured: CapturedLog;

function dns(overrides: Partial<CloudflareDnsOptions> = {}): DnsProvider {
  return createCloudflareDns({
    apiToken: new Secret(token),
    zone: DOMAIN,
    baseURL: fake.baseURL,
    proxied: true,
    ttl: 1,
    log: captured.log,
    tokenEnvName: "CLOUDFLARE_API_TOKEN",
    retry: { minDelayMs: 10, maxDelayMs: 50 },
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
  fake = await startFakeCloudflare({ token, readOnlyToken, zones: [{ id: ZONE_ID, name: DOMAIN }, { id: "other", name: "example.org" }] });
  captured = captureLog([token, readOnlyToken]);
});

afterEach(async () => {
  await fake.close();
  expect(captured.lines.join("")).not.toContain(token);
  fake.assertNoProblems();
});

describe("createCloudflareDns", () => {
  it("upsert creates exactly one proxied A record preview-<slug>.<domain> with the address", async () => {
    await dns().upsert({ name: `preview-feature-x.${DOMAIN}`, type: "A", content: "203.0.113.7" });
    const records = fake.records();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ zone_id: ZONE_ID, type: "A", name: "preview-feature-x.example.com", content: "203.0.113.7", proxied: true, ttl: 1 });
    expect(fake.seen.some((s) => s.startsWith("GET /client/v4/zones?name=example.com"))).toBe(true);
  });

  it("re-upsert updates the same record instead of adding a duplicate", async () => {
    const provider = dns();
    await provider.upsert({ name: `preview-feature-x.${DOMAIN}`, type: "A", content: "203.0.113.7" });
    const [first] = fake.records();
    await provider.upsert({ name: `preview-feature-x.${DOMAIN}`, type: "A", content: "203.0.113.8", proxied: false, ttl: 300 });
    const records = fake.records();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ id: first?.id, content: "203.0.113.8", proxied: false, ttl: 300 });
    expect(fake.seen.filter((s) => s.startsWith("PUT "))).toHaveLength(1);
    // the zone is looked up once and cached
    expect(fake.seen.filter((s) => s.startsWith("GET /client/v4/zones?"))).toHaveLength(1);
  });

  it("remove deletes the record and is idempotent", async () => {
    const provider = dns();
    await provider.upsert({ name: `preview-gone.${DOMAIN}`, type: "A", content: "203.0.113.9" });
    fake.addRecord({ zone_id: ZONE_ID, type: "A", name: `preview-keep.${DOMAIN}`, content: "203.0.113.10", ttl: 1, proxied: true });
    await provider.remove(`preview-gone.${DOMAIN}`);
    expect(fake.records().map((r) => r.name)).toEqual([`preview-keep.${DOMAIN}`]);
    await provider.remove(`preview-gone.${DOMAIN}`);
    expect(fake.records()).toHaveLength(1);
  });

  it("reads every page and collapses duplicates and a conflicting CNAME into one record", async () => {
    await fake.close();
    fake = await startFakeCloudflare({ token, zones: [{ id: ZONE_ID, name: DOMAIN }], maxPerPage: 1 });
    const name = `preview-dup.${DOMAIN}`;
    fake.addRecord({ zone_id: ZONE_ID, type: "A", name, content: "198.51.100.1", ttl: 1, proxied: false });
    fake.addRecord({ zone_id: ZONE_ID, type: "A", name, content: "198.51.100.2", ttl: 1, proxied: false });
    fake.addRecord({ zone_id: ZONE_ID, type: "A", name, content: "198.51.100.3", ttl: 1, proxied: false });
    await dns().upsert({ name, type: "A", content: "203.0.113.7" });
    expect(fake.records()).toEqual([expect.objectContaining({ name, type: "A", content: "203.0.113.7", proxied: true })]);
    // pages 1..3 and the empty page 4 that ends the SDK's auto-pagination
    expect(fake.seen.filter((s) => /GET \/client\/v4\/zones\/[^/]+\/dns_records\?/.test(s)).length).toBeGreaterThanOrEqual(4);

    const cname = `app.${DOMAIN}`;
    fake.addRecord({ zone_id: ZONE_ID, type: "CNAME", name: cname, content: "old.example.net", ttl: 1, proxied: false });
    await dns().upsert({ name: cname, type: "A", content: "203.0.113.11" });
    expect(fake.records().filter((r) => r.name === cname)).toEqual([expect.objectContaining({ type: "A", content: "203.0.113.11" })]);
  });

  it("uses a configured zone id without looking the zone up", async () => {
    await dns({ zone: undefined, zoneId: ZONE_ID }).upsert({ name: `preview-z.${DOMAIN}`, type: "CNAME", content: "lb.example.net" });
    expect(fake.records()).toEqual([expect.objectContaining({ type: "CNAME", content: "lb.example.net" })]);
    expect(fake.seen.some((s) => s.startsWith("GET /client/v4/zones?"))).toBe(false);
  });

  it("finds the zone from the record name when none is configured", async () => {
    await dns({ zone: undefined }).upsert({ name: `preview-a.previews.${DOMAIN}`, type: "A", content: "203.0.113.12" });
    expect(fake.records()).toEqual([expect.objectContaining({ zone_id: ZONE_ID, name: `preview-a.previews.${DOMAIN}` })]);
  });

  it("500 twice then success: one record, and both retries are logged", async () => {
    fake.script({ method: "POST", path: /\/dns_records$/, status: 500, times: 2 });
    await dns().upsert({ name: `preview-retry.${DOMAIN}`, type: "A", content: "203.0.113.13" });
    expect(fake.records()).toHaveLength(1);
    const retries = captured.entries(/retrying/);
    expect(retries).toHaveLength(2);
    expect(retries.map((r) => [r["status"], r["attempt"], r["provider"], r["op"], r["name"]])).toEqual([
      [500, 1, "cloudflare", "upsert", `preview-retry.${DOMAIN}`],
      [500, 2, "cloudflare", "upsert", `preview-retry.${DOMAIN}`],
    ]);
  });

  it("a 5xx that persists fails with a clear error after the configured attempts", async () => {
    fake.script({ method: "DELETE", path: /\/dns_records\//, status: 503, times: 10 });
    const provider = dns({ retry: { retries: 2, minDelayMs: 5, maxDelayMs: 5 } });
    await provider.upsert({ name: `preview-down.${DOMAIN}`, type: "A", content: "203.0.113.14" });
    const err = await failureOf(provider.remove(`preview-down.${DOMAIN}`));
    expect(err.code).toBe("external_api");
    expect(err.message).toMatch(/remove DNS records for preview-down\.example\.com \(HTTP 503.*after 3 attempts/);
    expect(fake.records()).toHaveLength(1);
  });

  it("429 with Retry-After is honoured", async () => {
    fake.script({ method: "GET", path: /\/dns_records$/, status: 429, headers: { "retry-after": "1" } });
    const started = Date.now();
    await dns().upsert({ name: `preview-slow.${DOMAIN}`, type: "A", content: "203.0.113.15" });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(fake.records()).toHaveLength(1);
    expect(captured.entries(/retrying/)).toEqual([expect.objectContaining({ status: 429, delayMs: 1000, retryAfter: true })]);
  });

  it("a Retry-After beyond the cap fails at once with how long to wait", async () => {
    fake.script({ method: "GET", path: /\/dns_records$/, status: 429, headers: { "retry-after": "3600" } });
    const started = Date.now();
    const err = await failureOf(dns().upsert({ name: `preview-limit.${DOMAIN}`, type: "A", content: "203.0.113.16" }));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(err.message).toMatch(/rate-limited .* wait 3600 s/);
  });

  it("a token without DNS edit permission gets an error naming Zone:DNS:Edit, without the token", async () => {
    const err = await failureOf(dns({ apiToken: new Secret(readOnlyToken) }).upsert({ name: `preview-ro.${DOMAIN}`, type: "A", content: "203.0.113.17" }));
    expect(err.message).toMatch(/HTTP 403: Authentication error \[10000\].*Zone:DNS:Edit/);
    expect(err.nextStep).toMatch(/CLOUDFLARE_API_TOKEN/);
    expect(`${err.message} ${err.nextStep}`).not.toContain(readOnlyToken);
    expect(captured.entries(/retrying/)).toHaveLength(0);
    expect(fake.records()).toHaveLength(0);
    expect(captured.lines.join("")).not.toContain(readOnlyToken);
  });

  it("an unknown zone and invalid names are clear errors", async () => {
    const err = await failureOf(dns({ zone: "example.net" }).upsert({ name: "preview-x.example.net", type: "A", content: "203.0.113.18" }));
    expect(err.code).toBe("not_found");
    expect(err.message).toContain("example.net");
    const outside = await failureOf(dns().upsert({ name: "preview-x.example.org", type: "A", content: "203.0.113.18" }));
    expect(outside.code).toBe("config");
    for (const name of ["preview-$(id).example.com", "../etc/passwd", "a b.example.com"]) {
      expect((await failureOf(dns().upsert({ name, type: "A", content: "203.0.113.18" }))).code).toBe("bad_input");
    }
    expect((await failureOf(dns().upsert({ name: `preview-ip.${DOMAIN}`, type: "A", content: "not-an-ip" }))).code).toBe("bad_input");
    expect((await failureOf(dns().remove("x;rm -rf /"))).code).toBe("bad_input");
    expect(fake.records()).toHaveLength(0);
  });
});
