import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { DnsProvider, DnsRecordSpec } from "../adapters/dns-provider.js";
import type { PendingDnsDeletion } from "../../store/collections/pending-dns-deletions.js";
import type { State } from "../../store/state.js";
import type { Store } from "../../store/store.js";

/**
 * DNS records whose deletion failed (provider down, rate-limited…). They are never dropped
 * silently: each is kept in state under `pendingDnsDeletions` and retried by the TTL sweep
 * (`retryPendingDeletions`) until the provider confirms it is gone — across bot restarts.
 */
export { PendingDnsDeletion } from "../../store/collections/pending-dns-deletions.js";

/** The collection (validated with the whole state file when the store opens). */
export function pendingDnsDeletionsOf(state: State): PendingDnsDeletion[] {
  return state.pendingDnsDeletions;
}

function errorText(err: unknown): string {
  return err instanceof OpsError ? err.message : err instanceof Error ? err.message : String(err);
}

export interface PendingDeletionOptions {
  clock?: () => Date;
  log?: Logger;
}

/** Remember a failed deletion (or count another failed attempt of a known one). */
export async function addPendingDnsDeletion(store: Store, entry: { name: string; owner: string; error: unknown }, options: PendingDeletionOptions = {}): Promise<void> {
  const now = (options.clock ?? (() => new Date()))().toISOString();
  await store.update((state) => {
    const list = pendingDnsDeletionsOf(state);
    const existing = list.find((p) => p.name === entry.name);
    if (existing) {
      existing.attempts += 1;
      existing.lastTriedAt = now;
      existing.lastError = errorText(entry.error);
    } else {
      list.push({ name: entry.name, owner: entry.owner, firstFailedAt: now, lastTriedAt: now, attempts: 1, lastError: errorText(entry.error) });
    }
    state.pendingDnsDeletions = list;
  });
}

/** Forget a pending deletion: the name is about to be published again, the sweep must not delete it. */
export async function cancelPendingDnsDeletion(store: Store, name: string): Promise<void> {
  if (!pendingDnsDeletionsOf(store.read()).some((p) => p.name === name)) return;
  await store.update((state) => {
    state.pendingDnsDeletions = pendingDnsDeletionsOf(state).filter((p) => p.name !== name);
  });
}

/**
 * Publish a record, first cancelling any pending deletion of the same name (a preview destroyed
 * while DNS was down and then created again must not lose its new record to the next sweep).
 */
export async function upsertDnsRecord(dns: DnsProvider, store: Store, record: DnsRecordSpec): Promise<void> {
  await cancelPendingDnsDeletion(store, record.name.toLowerCase());
  await dns.upsert(record);
}

/**
 * Delete a record now, or queue it when the provider fails. Returns what happened so the caller
 * can report it ("DNS record will be removed by the next sweep").
 */
export async function removeDnsRecordOrQueue(dns: DnsProvider, store: Store, name: string, owner: string, options: PendingDeletionOptions = {}): Promise<{ removed: true } | { removed: false; error: string }> {
  try {
    await dns.remove(name);
    await cancelPendingDnsDeletion(store, name.toLowerCase());
    return { removed: true };
  } catch (err) {
    // Bad input is a bug in the caller, not an outage: queueing it would retry it forever.
    if (err instanceof OpsError && err.code === "bad_input") throw err;
    await addPendingDnsDeletion(store, { name: name.toLowerCase(), owner, error: err }, options);
    options.log?.warn({ name, owner, err: errorText(err) }, "DNS delete failed; queued for the next sweep");
    return { removed: false, error: errorText(err) };
  }
}

export interface SweepResult {
  removed: string[];
  stillPending: PendingDnsDeletion[];
}

/** Retry every pending deletion once (called by the TTL sweep). Successes leave the list. */
export async function retryPendingDeletions(dns: DnsProvider, store: Store, options: PendingDeletionOptions = {}): Promise<SweepResult> {
  const pending = pendingDnsDeletionsOf(store.read());
  const removed: string[] = [];
  for (const p of pending) {
    try {
      await dns.remove(p.name);
      removed.push(p.name);
      await cancelPendingDnsDeletion(store, p.name);
      options.log?.info({ name: p.name, owner: p.owner, attempts: p.attempts + 1 }, "pending DNS deletion done");
    } catch (err) {
      await addPendingDnsDeletion(store, { name: p.name, owner: p.owner, error: err }, options);
      options.log?.warn({ name: p.name, owner: p.owner, err: errorText(err) }, "pending DNS deletion failed again");
    }
  }
  return { removed, stillPending: pendingDnsDeletionsOf(store.read()) };
}
