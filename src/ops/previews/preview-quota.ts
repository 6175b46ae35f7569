import { actorKey, type Actor } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { PreviewRecord } from "../../store/state.js";
import type { PreviewContext } from "./preview-context.js";
import type { PreviewNames } from "./preview-names.js";
import { PREVIEW_LABEL } from "./render-template.js";

/** Running previews on the host (distinct label values) plus reservations in state. */
export async function countInUse(ctx: PreviewContext, exceptSlug: string): Promise<Map<string, string>> {
  const { store, docker, mine } = ctx;
  const inUse = new Map<string, string>();
  const elsewhere = new Set(store.read().previews.filter((p) => !mine(p)).map((p) => p.slug));
  for (const c of await docker.listByLabel(PREVIEW_LABEL, { runningOnly: true })) {
    const slug = c.labels[PREVIEW_LABEL];
    if (slug && slug !== exceptSlug && !elsewhere.has(slug)) inUse.set(slug, "running");
  }
  for (const p of store.read().previews) {
    if (mine(p) && p.status === "deploying" && p.slug !== exceptSlug && !inUse.has(p.slug)) inUse.set(p.slug, "deploying");
  }
  return inUse;
}

export interface Reservation {
  opId: string;
  /** The record this deploy replaced, to put back if nothing is made on the host. */
  previous: PreviewRecord | undefined;
}

/**
 * Under the quota lock: check the quota (this host's, then the pool's), then write the operation
 * record and a `deploying` preview record, so two branches cannot both take the last slot.
 */
export async function reservePreview(
  ctx: PreviewContext,
  r: { n: PreviewNames; branch: string; ref: string; ttlMs: number; actor: Actor },
): Promise<Reservation> {
  const { config, host, clock, pool } = ctx;
  const slug = r.n.slug;
  return ctx.quotaLock.runExclusive(async () => {
    const inUse = await countInUse(ctx, slug);
    if (inUse.size >= config.quota) {
      const list = [...inUse].map(([s, st]) => (st === "running" ? s : `${s} (${st})`)).join(", ");
      throw new OpsError("quota", `the preview quota ${pool ? `of host ${host.name} ` : ""}is reached: ${inUse.size} of ${config.quota} in use (${list})`, "Destroy one you no longer need with /preview destroy <slug>, or wait for one to expire.");
    }
    await pool?.checkQuota(slug);
    const now = clock();
    // The operation and the `deploying` record in one (durable) state write.
    let prev: PreviewRecord | undefined;
    const [id] = await ctx.journal.beginMany([{ kind: "preview.deploy", target: slug, actor: actorKey(r.actor) }], (s) => {
      const old = s.previews.find((p) => p.slug === slug);
      const record: PreviewRecord = {
        slug, branch: r.branch, ref: r.ref, host: host.name, project: r.n.project, hostname: r.n.hostname, url: r.n.url,
        requestedBy: actorKey(r.actor), requestedByName: r.actor.name,
        createdAt: old?.createdAt ?? now.toISOString(), updatedAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + r.ttlMs).toISOString(), status: "deploying",
      };
      s.previews = [...s.previews.filter((p) => p.slug !== slug), record];
      prev = old ? { ...old } : undefined;
    });
    if (id === undefined) throw new Error("the journal returned no operation id");
    return { opId: id, previous: prev };
  });
}
