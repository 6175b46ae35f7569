// A DNS delete that fails is kept in state and done by the next sweep, even after a restart.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Secret } from "../../src/core/secret.js";
import { createCloudflareDns } from "../../src/ops/adapters/cloudflare-dns.js";
import type { DnsProvider } from "../../src/ops/adapters/dns-provider.js";
import { pendingDnsDeletionsOf, removeDnsRecordOrQueue, retryPendingDeletions, upsertDnsRecord } from "../../src/ops/dns/pending-deletions.js";
import { openStore } from "../../src/store/store.js";
import { captureLog } from "../fakes/capture-log.js";
import { startFakeCloudflare, type FakeCloudflare } from "../fakes/fake-cloudflare-api.js";

const token = `cf-${randomBytes(12).toString("hex")}`;
const ZONE_ID = "zone-1";
let fake: FakeCloudflare;
let dataDir: string;

function dns(): DnsProvider {
  return createCloudflareDns({ apiToken: new Secret(token), zone: "example.com", baseURL: fake.baseURL, log: captureLog([token]).log, retry: { retries: 1, minDelayMs: 1, maxDelayMs: 1 } });
}

beforeEach(async () => {
  fake = await startFakeCloudflare({ token, zones: [{ id: ZONE_ID, name: "example.com" }] });
  dataDir = mkdtempSync(join(tmpdir(), "opsdeck-dns-"));
});

afterEach(async () => {
  await fake.close();
  rmSync(dataDir, { recursive: true, force: true });
  fake.assertNoProblems();
});

describe("pending DNS deletions", () => {
  it("survive a restart and are removed by the next sweep", async () => {
    const name = "preview-feature-x.example.com";
    const store = await openStore(dataDir);
    await upsertDnsRecord(dns(), store, { name, type: "A", content: "203.0.113.7", proxied: true });
    fake.script({ path: /dns_records/, status: 503, times: 2 }); // DNS down during destroy

    const outcome = await removeDnsRecordOrQueue(dns(), store, name, "preview feature-x");
    expect(outcome).toEqual({ removed: false, error: expect.stringMatching(/HTTP 503/) });
    expect(fake.records()).toHaveLength(1);

    // "restart": a fresh store object over the same data directory
    const reopened = await openStore(dataDir);
    expect(pendingDnsDeletionsOf(reopened.read())).toEqual([expect.objectContaining({ name, owner: "preview feature-x", attempts: 1 })]);

    const sweep = await retryPendingDeletions(dns(), reopened);
    expect(sweep).toEqual({ removed: [name], stillPending: [] });
    expect(fake.records()).toHaveLength(0);
    expect(pendingDnsDeletionsOf((await openStore(dataDir)).read())).toEqual([]);
  });

  it("a sweep that fails again keeps the entry and counts the attempt", async () => {
    const store = await openStore(dataDir);
    fake.addRecord({ zone_id: ZONE_ID, type: "A", name: "preview-b.example.com", content: "203.0.113.8", ttl: 1, proxied: false });
    fake.script({ path: /dns_records/, status: 500, times: 4 });
    await removeDnsRecordOrQueue(dns(), store, "preview-b.example.com", "preview b");
    const sweep = await retryPendingDeletions(dns(), store);
    expect(sweep.removed).toEqual([]);
    expect(sweep.stillPending).toEqual([expect.objectContaining({ name: "preview-b.example.com", attempts: 2 })]);
    expect(fake.records()).toHaveLength(1);
  });

  it("publishing the name again cancels its pending deletion", async () => {
    const name = "preview-again.example.com";
    const store = await openStore(dataDir);
    fake.script({ path: /dns_records/, status: 502, times: 2 });
    await removeDnsRecordOrQueue(dns(), store, name, "preview again");
    expect(pendingDnsDeletionsOf(store.read())).toHaveLength(1);
    await upsertDnsRecord(dns(), store, { name, type: "A", content: "203.0.113.9" });
    expect(pendingDnsDeletionsOf(store.read())).toEqual([]);
    expect((await retryPendingDeletions(dns(), store)).removed).toEqual([]);
    expect(fake.records()).toEqual([expect.objectContaining({ name, content: "203.0.113.9" })]);
  });
});
