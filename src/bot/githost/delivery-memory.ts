/**
 * Delivery ids seen lately (`X-GitHub-Delivery`, `X-Gitlab-Event-UUID`), in memory. GitHub signs
 * no timestamp, so a captured delivery could be replayed for ever; a delivery id seen again within
 * `ttlMs` is refused as stale. Past `max` remembered ids (after pruning) `remember` says "full" and
 * the caller refuses the request rather than forget ids early.
 */
export interface DeliveryMemory {
  remember(id: string): "new" | "seen" | "full";
}

export function createDeliveryMemory(options: { ttlMs?: number; max?: number; clock?: () => Date } = {}): DeliveryMemory {
  const ttlMs = options.ttlMs ?? 24 * 3_600_000;
  const max = options.max ?? 50_000;
  const clock = options.clock ?? (() => new Date());
  /** id → forget after (ms); insertion order is arrival order, so expired ones sit in front. */
  const seen = new Map<string, number>();
  return {
    remember(id) {
      const now = clock().getTime();
      for (const [key, until] of seen) {
        if (until > now) break;
        seen.delete(key);
      }
      if (seen.has(id)) return "seen";
      if (seen.size >= max) return "full";
      seen.set(id, now + ttlMs);
      return "new";
    },
  };
}
