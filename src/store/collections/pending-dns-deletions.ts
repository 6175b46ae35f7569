import { z } from "zod";
import { type Known, record } from "./known.js";

/** `state.pendingDnsDeletions`: DNS deletions that failed and are retried by the TTL sweep (owned by src/ops/dns/pending-deletions.ts). */
export const PendingDnsDeletion = record({
  name: z.string(),
  /** What the record belonged to, e.g. `preview feature-x` or `infra preprod`. */
  owner: z.string(),
  firstFailedAt: z.string(),
  lastTriedAt: z.string(),
  attempts: z.number().int(),
  lastError: z.string(),
});
export type PendingDnsDeletion = Known<z.infer<typeof PendingDnsDeletion>>;
