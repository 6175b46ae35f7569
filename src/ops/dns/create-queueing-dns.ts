import type { Logger } from "../../core/logger.js";
import type { Store } from "../../store/store.js";
import type { DnsProvider } from "../adapters/dns-provider.js";
import { removeDnsRecordOrQueue, upsertDnsRecord } from "./pending-deletions.js";

/**
 * A DNS provider whose deletions never get lost: a failed `remove` is queued in state (and
 * retried by the TTL sweep) instead of failing the destroy; an `upsert` cancels a queued
 * deletion of the same name. Operations use it like any other provider.
 */
export function createQueueingDns(dns: DnsProvider, store: Store, log: Logger): DnsProvider {
  return {
    kind: dns.kind,
    upsert: (record) => upsertDnsRecord(dns, store, record),
    async remove(name) {
      if (dns.kind === "none") return;
      const outcome = await removeDnsRecordOrQueue(dns, store, name, `preview ${name.split(".")[0] ?? name}`, { log });
      return outcome.removed ? undefined : { queued: true, error: outcome.error };
    },
  };
}
