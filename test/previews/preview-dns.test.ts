// Previews publish their DNS record through the real Cloudflare provider (official SDK) against a
// loopback fake of the Cloudflare API, wrapped as the app wraps it (createQueueingDns), with the
// real sshd/dockerd behind the preview ops: create, update, delete, retries, deletions queued
// while DNS is down, and `dns.fail_on_error` both ways.
import { randomBytes } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Dns } from "../../src/config/schema.js";
import { Secret } from "../../src/core/secret.js";
import { createCloudflareDns } from "../../src/ops/adapters/cloudflare-dns.js";
import type { DnsProvider } from "../../src/ops/adapters/dns-provider.js";
import { createQueueingDns } from "../../src/ops/dns/create-queueing-dns.js";
import { pendingDnsDeletionsOf, retryPendingDeletions } from "../../src/ops/dns/pending-deletions.js";
import { previewDnsLabel } from "../../src/ops/previews/preview-names.js";
import { toSlug } from "../../src/ops/previews/slug.js";
import { openStore } from "../../src/store/store.js";
import { startFakeCloudflare, type FakeCloudflare } from "../fakes/fake-cloudflare-api.js";
import { uniqueName } from "../support/test-env.js";
import { leftovers, makeRig, replyText, type PreviewRig } from "./preview-support.js";
import { usePreviewHost } from "../support/preview-host.js";

const ZONE = { id: "0f3c1a9e5b7d4c2a8e6f1b3d5a7c9e01", name: "preview.test" };
const TARGET = "127.0.0.1"; // makeRig's previews.dns_target
/** Fast backoff: the tests wait for retries, not for the production delays. */
const FAST_RETRY = { retries: 4, minDelayMs: 5, maxDelayMs: 20 };

const { shell, docker, cleanups } = usePreviewHost();
let fake: FakeCloudflare;
let token: string;
let readOnlyToken: string;

beforeEach(async () => {
  token = `cf-${randomBytes(16).toString("hex")}`;
  readOnlyToken = `cf-ro-${randomBytes(16).toString("hex")}`;
  fake = await startFakeCloudflare({ token, readOnlyToken, zones: [{ id: "zone-other", name: "other.test" }, ZONE] });
});

afterEach(async () => {
  await fake.close();
  fake.assertNoProblems();
});

interface DnsRig extends PreviewRig {
  /** The raw Cloudflare provider (what the TTL sweep gets in src/app.ts). */
  rawDns: DnsProvider;
  slug: string;
  branch: string;
  fqdn: string;
  dir: string;
}

/**
 * makeRig with the Cloudflare provider in place of the recording one. makeRig opens the store
 * itself and the queueing wrapper needs that store, so the ops get a provider that forwards to a
 * wrapper built right after (one store object per data dir, as in the app).
 */
async function dnsRig(dnsYaml: Record<string, unknown>, options: { dnsToken?: string } = {}): Promise<DnsRig> {
  const dnsConfig = Dns.parse({ provider: "cloudflare", zone: ZONE.name, api_url: fake.baseURL, ...dnsYaml });
  let wrapped: DnsProvider | undefined;
  const forward: DnsProvider = {
    kind: "cloudflare",
    upsert: (record) => (wrapped as DnsProvider).upsert(record),
    remove: (name) => (wrapped as DnsProvider).remove(name),
  };
  // Without `fail_on_error` in the YAML the option is left out too, so the ops' own default is what runs.
  const failOnError = "fail_on_error" in dnsYaml ? { dnsFailOnError: dnsConfig.fail_on_error } : {};
  const r = await makeRig({ shell, docker, extra: { dns: forward, ...failOnError } });
  const apiToken = new Secret(options.dnsToken ?? token);
  r.h.redact.add(apiToken);
  const rawDns = createCloudflareDns({
    apiToken,
    ...(dnsConfig.zone ? { zone: dnsConfig.zone } : {}),
    ...(dnsConfig.api_url ? { baseURL: dnsConfig.api_url } : {}),
    proxied: dnsConfig.proxied,
    ttl: dnsConfig.ttl,
    log: r.h.log.child({ component: "dns" }),
    retry: FAST_RETRY,
  });
  wrapped = createQueueingDns(rawDns, r.h.store, r.h.log);
  const branch = `feature/dns-${uniqueName("d")}`;
  const slug = toSlug(branch);
  cleanups.push({ slugs: [slug], baseDir: r.baseDir });
  return { ...r, rawDns, branch, slug, fqdn: `${previewDnsLabel(slug)}.${ZONE.name}`, dir: `${r.baseDir}/${slug}` };
}

function recordsNamed(name: string): ReturnType<FakeCloudflare["records"]> {
  return fake.records().filter((rec) => rec.name === name);
}

/** Requests of one method to the DNS records of the zone. */
function recordCalls(method: string): string[] {
  return fake.seen.filter((s) => s.startsWith(`${method} /client/v4/zones/${ZONE.id}/dns_records`));
}

function expectNoToken(r: DnsRig, replies: unknown): void {
  expect(r.h.logText()).not.toContain(token);
  expect(JSON.stringify(replies)).not.toContain(token);
  expect(JSON.stringify(r.h.store.read())).not.toContain(token);
}

describe("preview DNS through the Cloudflare provider", () => {
  it("create makes exactly one A record; a re-create updates it; destroy removes it", async () => {
    const r = await dnsRig({ proxied: true });
    const cfRecord = { zone_id: ZONE.id, type: "A" as const, name: "unrelated.preview.test", content: "192.0.2.9", ttl: 1, proxied: false };
    fake.addRecord(cfRecord);

    const first = await r.send(`/preview ${r.branch}`);
    expect(first.final.status, JSON.stringify(first.final)).toMatch(/success|warning/);
    const created = recordsNamed(r.fqdn);
    expect(created).toEqual([expect.objectContaining({ zone_id: ZONE.id, type: "A", name: r.fqdn, content: TARGET, proxied: true, ttl: 1 })]);
    expect(recordCalls("POST")).toHaveLength(1);
    expect(recordCalls("PUT")).toHaveLength(0);

    // Same branch again: the record is updated in place (PUT to the same id), not duplicated.
    const again = await r.send(`/preview ${r.branch}`);
    expect(again.final.status, JSON.stringify(again.final)).toMatch(/success|warning/);
    expect(again.final.title).toContain("redeployed");
    expect(recordsNamed(r.fqdn)).toEqual([expect.objectContaining({ id: created[0]?.id, content: TARGET, proxied: true })]);
    expect(recordCalls("POST")).toHaveLength(1);
    expect(recordCalls("PUT")).toEqual([`PUT /client/v4/zones/${ZONE.id}/dns_records/${created[0]?.id}`]);

    const gone = await r.send(`/preview destroy ${r.slug} --yes`);
    expect(gone.final.status, JSON.stringify(gone.final)).toBe("success");
    expect(replyText([gone.final])).toContain(`DNS record ${r.fqdn}`);
    expect(recordsNamed(r.fqdn)).toEqual([]);
    // Only its own record went; the other one in the zone is untouched.
    expect(fake.records()).toEqual([expect.objectContaining(cfRecord)]);
    expect(pendingDnsDeletionsOf(r.h.store.read())).toEqual([]);
    expect(await leftovers(shell, docker, r.slug, r.dir)).toEqual([]);
    expectNoToken(r, [first, again, gone]);
  });

  it("a create that gets HTTP 500 twice is retried (logged) and ends with one record", async () => {
    const r = await dnsRig({});
    fake.script({ method: "POST", path: /\/dns_records$/, status: 500, times: 2 });

    const up = await r.send(`/preview ${r.branch}`);
    expect(up.final.status, JSON.stringify(up.final)).toMatch(/success|warning/);
    expect(replyText([up.final])).not.toMatch(/DNS record .* could not be published/);
    expect(recordCalls("POST")).toHaveLength(3);
    expect(recordsNamed(r.fqdn)).toEqual([expect.objectContaining({ type: "A", content: TARGET, proxied: false })]);
    const retries = r.h.logText().split("\n").filter((l) => l.includes("request failed; retrying"));
    expect(retries).toHaveLength(2);
    for (const line of retries) expect(JSON.parse(line)).toMatchObject({ provider: "cloudflare", op: "upsert", name: r.fqdn, status: 500 });

    await r.send(`/preview destroy ${r.slug} --yes`);
    expect(recordsNamed(r.fqdn)).toEqual([]);
    expectNoToken(r, [up]);
  });

  it("DNS down during destroy: destroy succeeds, the deletion is queued in state, survives a restart and the sweep removes it", async () => {
    const r = await dnsRig({ proxied: true });
    const up = await r.send(`/preview ${r.branch}`);
    expect(up.final.status, JSON.stringify(up.final)).toMatch(/success|warning/);
    expect(recordsNamed(r.fqdn)).toHaveLength(1);

    // Every DELETE fails with 500, more times than the provider retries.
    fake.script({ method: "DELETE", path: /\/dns_records\//, status: 500, times: FAST_RETRY.retries + 1 });
    const down = await r.send(`/preview destroy ${r.slug} --yes`);
    expect(down.final.status, JSON.stringify(down.final)).toBe("success");
    expect(recordCalls("DELETE")).toHaveLength(FAST_RETRY.retries + 1);
    expect(await leftovers(shell, docker, r.slug, r.dir)).toEqual([]);
    expect(r.h.store.read().previews.find((p) => p.slug === r.slug)).toBeUndefined();
    expect(recordsNamed(r.fqdn)).toHaveLength(1); // still published: the provider never confirmed
    expect(JSON.stringify(down.final)).toContain(`DNS record ${r.fqdn}: not removed yet`); // reported, not silently dropped
    expect(pendingDnsDeletionsOf(r.h.store.read())).toEqual([
      expect.objectContaining({ name: r.fqdn, attempts: 1, lastError: expect.stringMatching(/HTTP 500/) }),
    ]);

    // "Restart": a fresh store over the same data directory still has it.
    const reopened = await openStore(r.h.dataDir);
    expect(pendingDnsDeletionsOf(reopened.read())).toEqual([expect.objectContaining({ name: r.fqdn, attempts: 1 })]);

    // The next sweep (as the ttl-cleanup job calls it: raw provider + store), DNS healthy again.
    const sweep = await retryPendingDeletions(r.rawDns, reopened, { log: r.h.log });
    expect(sweep).toEqual({ removed: [r.fqdn], stillPending: [] });
    expect(recordsNamed(r.fqdn)).toEqual([]);
    expect(pendingDnsDeletionsOf((await openStore(r.h.dataDir)).read())).toEqual([]);
    expectNoToken(r, [up, down]);
  });

  it("fail_on_error true (default): a hard DNS failure (403) fails the preview and leaves nothing on the host", async () => {
    // No fail_on_error in the config: the schema default applies. The token may read the zone but
    // not edit DNS, so Cloudflare answers every write with 403.
    const ro = await dnsRig({}, { dnsToken: readOnlyToken });
    expect(Dns.parse({ provider: "cloudflare" }).fail_on_error).toBe(true);

    const res = await ro.send(`/preview ${ro.branch}`);
    expect(res.final.status).toBe("failure");
    expect(res.final.title).toContain(`publishing DNS record ${ro.fqdn} failed`);
    expect(res.final.title).toMatch(/HTTP 403/);
    expect(res.final.title).toContain("Zone:DNS:Edit");
    expect(res.final.nextStep).toContain("dns.fail_on_error: false");
    expect(recordCalls("POST")).toHaveLength(1); // a 403 is not retried
    // The clean-up also tried to remove the record (it looked, found none, deleted nothing).
    const lastCall = fake.seen.at(-1) ?? "";
    expect(lastCall).toMatch(new RegExp(`^GET /client/v4/zones/${ZONE.id}/dns_records\\?`));
    expect(decodeURIComponent(lastCall)).toContain(`name.exact=${ro.fqdn}`);
    expect(res.messages.some((m) => m.lines?.some((l) => l.includes("failed; removing everything it created")))).toBe(true);

    expect(await leftovers(shell, docker, ro.slug, ro.dir)).toEqual([]);
    expect(ro.h.store.read().previews.find((p) => p.slug === ro.slug)).toBeUndefined();
    expect(ro.h.store.read().operations.find((o) => o.target === ro.slug)).toMatchObject({ kind: "preview.deploy", status: "failed" });
    expect(fake.records()).toEqual([]);
    expect(pendingDnsDeletionsOf(ro.h.store.read())).toEqual([]);
    expect(ro.h.logText()).not.toContain(readOnlyToken);
    expect(JSON.stringify(res)).not.toContain(readOnlyToken);
  });

  it("fail_on_error false: the same DNS failure leaves the preview up with a warning", async () => {
    const r = await dnsRig({ fail_on_error: false });
    fake.script({ method: "POST", path: /\/dns_records$/, status: 403, times: 1, body: { success: false, errors: [{ code: 10000, message: "Authentication error" }], messages: [], result: null } });

    const res = await r.send(`/preview ${r.branch}`);
    expect(res.final.status, JSON.stringify(res.final)).toBe("warning");
    const note = res.final.lines?.find((l) => l.includes(`DNS record ${r.fqdn} could not be published`));
    expect(note).toMatch(/HTTP 403/);
    const containers = await docker.listByLabel(`opsdeck.preview=${r.slug}`);
    expect(containers.length).toBeGreaterThan(0);
    expect(containers.every((c) => c.state === "running")).toBe(true);
    expect(r.h.store.read().previews.find((p) => p.slug === r.slug)).toMatchObject({ status: "running" });
    expect(recordsNamed(r.fqdn)).toEqual([]);
    expect(r.h.logText()).toContain("DNS record not published; preview kept");

    const gone = await r.send(`/preview destroy ${r.slug} --yes`);
    expect(gone.final.status, JSON.stringify(gone.final)).toBe("success");
    expect(await leftovers(shell, docker, r.slug, r.dir)).toEqual([]);
    expect(pendingDnsDeletionsOf(r.h.store.read())).toEqual([]);
    expectNoToken(r, [res, gone]);
  });
});
