import type { PreviewContext } from "./preview-context.js";
import { previewExistsOnHost } from "./preview-exists.js";

/** A state record, or anything with its label (or its directory) on the host. */
export async function hasPreview(ctx: PreviewContext, slugOrBranch: string): Promise<boolean> {
  const slug = ctx.resolveSlug(slugOrBranch);
  if (ctx.store.read().previews.some((p) => p.slug === slug)) return true;
  return previewExistsOnHost(ctx.host, ctx.docker, await ctx.names(slug));
}
