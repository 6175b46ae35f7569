import type { ContainerSummary } from "../adapters/docker-client.js";
import type { PreviewContext } from "./preview-context.js";
import type { ListedPreview, OrphanPreview, PreviewListing } from "./preview-types.js";
import { PREVIEW_LABEL } from "./render-template.js";
import { listRouteDrift } from "./route-drift.js";

/** This host's preview records with their running containers, plus orphans (containers with no record) and route drift. */
export async function listPreviews(ctx: PreviewContext): Promise<PreviewListing> {
  const { host, docker, store, redact, proxy, mine } = ctx;
  const records = store.read().previews.filter(mine).map((p) => ({ ...p }));
  let containers: ContainerSummary[] = [];
  let hostError: string | undefined;
  try {
    containers = await docker.listByLabel(PREVIEW_LABEL);
  } catch (err) {
    hostError = `could not list containers on ${host.name}: ${redact((err as Error).message)}`;
  }
  const bySlug = new Map<string, ContainerSummary[]>();
  for (const c of containers) {
    const slug = c.labels[PREVIEW_LABEL];
    if (slug) bySlug.set(slug, [...(bySlug.get(slug) ?? []), c]);
  }
  const previews: ListedPreview[] = records.map((p) => {
    const running = (bySlug.get(p.slug) ?? []).filter((c) => c.state === "running").length;
    const drift = !hostError && p.status === "running" && running === 0 ? "missing on host" : undefined;
    return { ...p, runningContainers: running, ...(drift ? { drift } : {}) };
  });
  const known = new Set(records.map((p) => p.slug));
  const orphans: OrphanPreview[] = [...bySlug]
    .filter(([slug]) => !known.has(slug))
    .map(([slug, cs]) => ({ slug, containers: cs.map((c) => c.name), running: cs.filter((c) => c.state === "running").length }));
  const routes = proxy ? await listRouteDrift(proxy, previews, redact) : {};
  return { host: host.name, previews, orphans, ...routes, ...(hostError ? { hostError } : {}) };
}
