import { OpsError } from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import type { HostResources } from "../adapters/host-resources.js";
import type { HostShell } from "../adapters/host-shell.js";

/** One host of the preview pool, as the placement sees it. */
export interface PoolCandidate {
  name: string;
  shell: HostShell;
  baseDir: string;
  minFreeDiskMb: number;
  minFreeMemoryMb: number;
  /** `previews.quota_per_host`: a host with this many previews (state) takes no new one. */
  quotaPerHost?: number;
}

export interface Placement {
  name: string;
  /** Hosts that could not be asked (unreachable), each with the reason; the preview went elsewhere. */
  warnings: string[];
}

/** How long one host may take to report its resources before it counts as unreachable. */
export const PLACEMENT_TIMEOUT_MS = 15_000;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The pool host for a new preview: of the hosts that pass their free disk and memory minimums,
 * the one with the most available memory (ties: the first in `previews.hosts`). Hosts are asked
 * at once; an unreachable host, or one at `quota_per_host`, is skipped (the first reported). None passing is a `resources` error that
 * names every host and why.
 */
export async function choosePreviewHost(
  candidates: readonly PoolCandidate[],
  getResources: (host: HostShell, path: string) => Promise<HostResources>,
  redact: Redactor,
  /** Previews per host name (state records running or being deployed). */
  inUse: ReadonlyMap<string, number> = new Map(),
): Promise<Placement> {
  const asked = await Promise.all(candidates.map(async (c) => {
    try {
      return { c, r: await withTimeout(getResources(c.shell, c.baseDir), PLACEMENT_TIMEOUT_MS, `host ${c.name}`) };
    } catch (err) {
      return { c, error: redact(err instanceof Error ? err.message : String(err)) };
    }
  }));
  const warnings: string[] = [];
  const refusals: string[] = [];
  let best: { name: string; memory: number } | undefined;
  for (const a of asked) {
    const count = inUse.get(a.c.name) ?? 0;
    if (a.c.quotaPerHost !== undefined && count >= a.c.quotaPerHost) {
      refusals.push(`${a.c.name}: ${count} of ${a.c.quotaPerHost} previews (previews.quota_per_host)`);
      continue;
    }
    if (!a.r) {
      warnings.push(`preview host ${a.c.name} could not be reached (${a.error}); it was left out of the placement`);
      refusals.push(`${a.c.name}: unreachable (${a.error})`);
      continue;
    }
    if (a.r.freeDiskMb < a.c.minFreeDiskMb) {
      refusals.push(`${a.c.name}: ${a.r.freeDiskMb} MB free disk, needs ${a.c.minFreeDiskMb} MB`);
      continue;
    }
    if (a.r.availableMemoryMb < a.c.minFreeMemoryMb) {
      refusals.push(`${a.c.name}: ${a.r.availableMemoryMb} MB memory available, needs ${a.c.minFreeMemoryMb} MB`);
      continue;
    }
    if (!best || a.r.availableMemoryMb > best.memory) best = { name: a.c.name, memory: a.r.availableMemoryMb };
  }
  if (!best) {
    throw new OpsError("resources", `no preview host can take a new preview (${refusals.join("; ")})`, "Destroy a preview you no longer need (/preview list), bring the unreachable host back, or lower previews.min_free_disk_mb / min_free_memory_mb (or previews.host_minimums).");
  }
  return { name: best.name, warnings };
}
