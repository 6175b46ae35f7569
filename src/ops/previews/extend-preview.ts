import { actorKey, type Actor } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { PreviewContext } from "./preview-context.js";
import { noSuchPreview } from "./preview-exists.js";
import type { ExtendedPreview } from "./preview-types.js";

/** Push a preview's expiry out by `ttlMs` (from now if it already passed), capped at `max_ttl` from now. */
export async function extendPreview(ctx: PreviewContext, slugOrBranch: string, ttlMs: number, actor: Actor): Promise<ExtendedPreview> {
  const { config, store, clock, log } = ctx;
  if (!(ttlMs > 0)) throw new OpsError("bad_input", "the extension must be a positive duration", "Use e.g. /preview extend <branch> 1d.");
  const slugGuess = ctx.resolveSlug(slugOrBranch);
  const found = store.read().previews.find((p) => p.slug === slugGuess);
  if (!found) {
    throw noSuchPreview(slugOrBranch);
  }
  const slug = found.slug;
  const release = ctx.guard(slug, `run /preview extend ${slug}`);
  try {
    return await store.update((s) => {
      const rec = s.previews.find((p) => p.slug === slug);
      if (!rec) throw new OpsError("not_found", `preview ${slug} was just removed`, "See /preview list.");
      const now = clock().getTime();
      const previous = new Date(rec.expiresAt);
      const wanted = Math.max(now, previous.getTime()) + ttlMs;
      const cap = now + config.max_ttl;
      const next = Math.min(wanted, cap);
      Object.assign(rec, { expiresAt: new Date(next).toISOString(), updatedAt: new Date(now).toISOString() });
      log.info({ slug, by: actorKey(actor), expiresAt: rec.expiresAt }, "preview extended");
      return { preview: { ...rec }, previousExpiresAt: previous, capped: wanted > cap };
    });
  } finally {
    release();
  }
}
