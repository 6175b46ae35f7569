import type { Actor, ProgressFn } from "../../core/command.js";
import { previewSecretScope } from "./build-preview-env.js";
import type { PreviewContext } from "./preview-context.js";
import { noSuchPreview, previewExistsOnHost } from "./preview-exists.js";
import type { StoppedPreview } from "./preview-types.js";
import { removePreviewResources } from "./remove-preview-resources.js";

/** Remove a preview (by slug or branch) under the host lock: its resources, lock file and record. */
export async function destroyPreview(ctx: PreviewContext, slugOrBranch: string, actor: Actor, progress: ProgressFn): Promise<StoppedPreview> {
  const { host, docker, store, clock, redact, log, say } = ctx;
  const slug = ctx.resolveSlug(slugOrBranch);
  const n = await ctx.names(slug);
  const release = ctx.guard(slug, `run /preview destroy ${slug}`);
  try {
    const record = store.read().previews.find((p) => p.slug === slug);
    // Before any lock: a name that never existed gets no lock file and no operation record.
    if (!record && !(await previewExistsOnHost(host, docker, n))) throw noSuchPreview(slugOrBranch);
    const opId = await ctx.startOperation("preview.destroy", slug, actor);
    await store.update((s) => {
      const rec = s.previews.find((p) => p.slug === slug);
      if (rec) Object.assign(rec, { status: "destroying", updatedAt: clock().toISOString() });
    });
    try {
      await host.exec(["mkdir", "-p", "--", ctx.baseDir()]);
      const hostLock = await ctx.lockOnHost(n, progress);
      try {
        await say(progress, `Preview ${slug}: removing containers, networks, volumes, DNS record and directory…`);
        const removed = await removePreviewResources(ctx.removeDeps, n);
        await ctx.removeLockFile(n);
        await store.update((s) => void (s.previews = s.previews.filter((p) => p.slug !== slug)));
        await ctx.finishOperation(opId, "succeeded", removed.length > 0 ? `removed ${removed.join("; ")}` : "nothing to remove");
        // Its credentials are gone from the host: stop looking for them in every line.
        redact.unregister(previewSecretScope(slug));
        log.info({ slug, removed }, "preview destroyed");
        return { slug, ...(record ? { branch: record.branch } : {}), host: host.name, removed: record && removed.length === 0 ? ["state record"] : removed };
      } finally {
        await hostLock.release();
      }
    } catch (err) {
      await store.update((s) => {
        const rec = s.previews.find((p) => p.slug === slug);
        if (rec) Object.assign(rec, { status: "failed", updatedAt: clock().toISOString() });
      });
      await ctx.finishOperation(opId, "failed", (err as Error).message);
      throw err;
    }
  } finally {
    release();
  }
}
