import type { AuditEntry, AuditLog } from "./audit-log.js";

export type RefusalKind = "unknown identity" | "over the rate limit";

export interface Refusal {
  kind: RefusalKind;
  /** `platform:id`. */
  actor: string;
  actorName: string;
  command: string;
}

export interface RefusalTally {
  /** Count a refused request; writes an audit line only when none was written for it in the last window. */
  note(refusal: Refusal): Promise<void>;
  /** Write the counts still pending (at shutdown). */
  close(): Promise<void>;
}

export interface RefusalTallyOptions {
  audit: AuditLog;
  clock?: () => Date;
  /** At most one audit line per identity and kind per window (default 1 minute). */
  windowMs?: number;
  /** Identities tracked at once; beyond it, refusals share one `*` bucket (default 10,000). */
  maxIdentities?: number;
  onError?: (err: unknown) => void;
}

interface Bucket {
  lastLineAt: number;
  pending: number;
  sample: Refusal;
}

/**
 * Audit lines for refused requests, bounded: the first refusal of an identity writes a line at
 * once; further ones inside the window are counted and written as one line
 * ("N requests from unknown identity X in the last minute") when the window has passed — at the
 * next refusal or by a sweep timer. 5,000 requests from one stranger cost two lines, not 5,000.
 */
export function createRefusalTally(options: RefusalTallyOptions): RefusalTally {
  const clock = options.clock ?? (() => new Date());
  const windowMs = options.windowMs ?? 60_000;
  const maxIdentities = options.maxIdentities ?? 10_000;
  const onError = options.onError ?? (() => {});
  const buckets = new Map<string, Bucket>();

  function line(r: Refusal, count: number, now: number): AuditEntry {
    const what = r.kind === "unknown identity" ? `from unknown identity ${r.actor}` : `over the rate limit from ${r.actor}`;
    return {
      time: new Date(now).toISOString(),
      actor: r.actor,
      actorName: r.actorName,
      command: r.command,
      args: [],
      decision: r.kind === "unknown identity" ? "denied" : "invalid",
      result: r.kind === "unknown identity" ? "denied" : "failure",
      durationMs: 0,
      detail: `${count} request${count === 1 ? "" : "s"} ${what} in the last minute`,
    };
  }

  const write = (r: Refusal, count: number, now: number): Promise<void> => options.audit.record(line(r, count, now)).catch(onError);

  async function sweep(all: boolean): Promise<void> {
    const now = clock().getTime();
    const writes: Promise<void>[] = [];
    for (const [key, b] of buckets) {
      if (!all && now - b.lastLineAt < windowMs) continue;
      if (b.pending > 0) {
        writes.push(write(b.sample, b.pending, now));
        b.pending = 0;
        b.lastLineAt = now;
      } else buckets.delete(key);
    }
    await Promise.all(writes);
  }

  const timer = setInterval(() => void sweep(false), Math.max(1000, windowMs / 4));
  timer.unref();

  return {
    note(r) {
      const now = clock().getTime();
      let key = `${r.kind}|${r.actor}`;
      if (!buckets.has(key) && buckets.size >= maxIdentities) {
        key = `${r.kind}|*`;
        r = { ...r, actor: "*", actorName: "(many identities)" };
      }
      const b = buckets.get(key);
      if (b && now - b.lastLineAt < windowMs) {
        b.pending++;
        b.sample = r;
        return Promise.resolve();
      }
      buckets.set(key, { lastLineAt: now, pending: 0, sample: r });
      return write(r, (b?.pending ?? 0) + 1, now);
    },
    async close() {
      clearInterval(timer);
      await sweep(true);
    },
  };
}
