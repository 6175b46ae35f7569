import type { PreviewContext } from "./preview-context.js";
import { reconcilePreviewRoutes } from "./preview-route.js";
import type { ReconcileReport } from "./preview-types.js";

/**
 * At start: operations and preview records left half-done by a crash become `interrupted` /
 * `failed`; with a proxy, the routes of running previews are put back.
 */
export async function reconcilePreviews(ctx: PreviewContext): Promise<ReconcileReport> {
  const { config, host, docker, store, clock, redact, log, proxy, active, mine } = ctx;
  const now = clock().toISOString();
  const interrupted = await ctx.journal.reconcileAtStart((o) => o.kind.startsWith("preview.") && !active.has(o.target));
  const { failedPreviews } = await store.update((s) => {
    const half = s.previews.filter((p) => (p.status === "deploying" || p.status === "destroying") && !active.has(p.slug));
    for (const p of half) Object.assign(p, { status: "failed", updatedAt: now });
    return { failedPreviews: half.map((p) => ({ ...p })) };
  });
  if (interrupted.length > 0) log.warn({ operations: interrupted.map((o) => `${o.kind} ${o.target}`) }, "preview operations were interrupted");
  if (!proxy) return { interrupted, failedPreviews };
  // Caddy keeps no routes across a restart (its config file has none of ours): put them back.
  const running = store.read().previews.filter((p) => mine(p) && p.status === "running" && !active.has(p.slug));
  const routes = await reconcilePreviewRoutes({ proxy, docker, host, config, log }, await Promise.all(running.map((p) => ctx.names(p.slug)))).catch((err: unknown) => {
    log.error({ err: redact((err as Error).message) }, "could not reconcile preview routes");
    return { restored: [], removed: [], failed: [`all routes: ${redact((err as Error).message)}`] };
  });
  return { interrupted, failedPreviews, routes };
}
