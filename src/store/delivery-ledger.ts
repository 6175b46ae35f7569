import type { Store } from "./store.js";

export interface DeliveryLedger {
  /**
   * Claim a delivery key in memory: `false` when it was already claimed inside the retention
   * window (a duplicate). Synchronous, so two copies of one delivery arriving together cannot both
   * pass, and free of disk I/O, so a flood of refused requests costs no write.
   */
  claim(key: string): boolean;
  /**
   * Make a claimed key survive a restart; resolves once it is on disk. Calls that arrive while a
   * write is under way share the next write (group commit), so a burst of N commands costs about
   * two state writes, not N. Call it only for deliveries that will change something (the router
   * skips it for read-only commands: a replay of one after a restart repeats nothing).
   */
  persist(key: string): Promise<void>;
}

export interface DeliveryLedgerOptions {
  store: Store;
  /** How long a key is remembered (in memory and on disk); the platform's replay window decides it. */
  retentionMs: number;
  clock?: () => Date;
}

/**
 * Delivery ids for de-duplication: all in memory, and only the ones that ran something persisted
 * (in `state.deliveries`, pruned to the retention window at each write, so the list stays bounded
 * by the command rate). Refused deliveries (unknown identities, over the rate limit, denied) are
 * remembered in memory only: replaying them after a restart runs nothing either.
 */
export function createDeliveryLedger(options: DeliveryLedgerOptions): DeliveryLedger {
  const { store, retentionMs } = options;
  const clock = options.clock ?? (() => new Date());
  /** key → when it was first seen (ms). Insertion order is time order, so pruning stops early. */
  const seen = new Map<string, number>();
  const durable = new Set<string>();

  const loaded = [...store.read().deliveries].map((d) => ({ key: d.key, at: Date.parse(d.at) })).sort((a, b) => a.at - b.at);
  const start = clock().getTime();
  for (const d of loaded) {
    if (!Number.isFinite(d.at) || start - d.at >= retentionMs) continue;
    seen.set(d.key, d.at);
    durable.add(d.key);
  }

  function prune(now: number): void {
    for (const [key, at] of seen) {
      if (now - at < retentionMs) break;
      seen.delete(key);
      durable.delete(key);
    }
  }

  let queued: Promise<void> | undefined;
  let last: Promise<void> = Promise.resolve();
  function flush(): Promise<void> {
    if (queued) return queued;
    const next = last
      .catch(() => {})
      .then(async () => {
        queued = undefined;
        await store.update((s) => {
          prune(clock().getTime());
          s.deliveries = [...durable].map((key) => ({ key, at: new Date(seen.get(key) ?? 0).toISOString() }));
        });
      });
    queued = next;
    last = next;
    return next;
  }

  return {
    claim(key) {
      const now = clock().getTime();
      prune(now);
      if (seen.has(key)) return false;
      seen.set(key, now);
      return true;
    },
    persist(key) {
      if (!seen.has(key)) seen.set(key, clock().getTime());
      durable.add(key);
      return flush();
    },
  };
}
