import { actorKey, type Actor, type ProgressFn } from "../../core/command.js";
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
    // The journal entry and the record's status in one state write, beside the base directory
    // (where the lock file lives); a failed mkdir finishes the entry as failed below.
    const [began, mkdir] = await Promise.allSettled([
      ctx.journal.beginMany([{ kind: "preview.destroy", target: slug, actor: actorKey(actor) }], (s) => {
        const rec = s.previews.find((p) => p.slug === slug);
        if (rec) Object.assign(rec, { status: "destroying", updatedAt: clock().toISOString() });
      }),
      host.exec(["mkdir", "-p", "--", ctx.baseDir()]),
    ]);
    if (began.status === "rejected") throw began.reason;
    const opId = began.value[0] as string;
    try {
      if (mkdir.status === "rejected") throw mkdir.reason;
      const hostLock = await ctx.lockOnHost(n, progress);
      let removed: string[];
      try {
        await say(progress, `Preview ${slug}: removing containers, networks, volumes, DNS record and directory…`);
        removed = await removePreviewResources(ctx.removeDeps, n);
        // The lock file goes while the lock is held; the record and the journal entry at the same time.
        await Promise.all([
          ctx.removeLockFile(n),
          store.update((s) => void (s.previews = s.previews.filter((p) => p.slug !== slug))),
          ctx.finishOperation(opId, "succeeded", removed.length > 0 ? `removed ${removed.join("; ")}` : "nothing to remove"),
        ]);
      } catch (err) {
        await hostLock.release();
        throw err;
      }
      // Off the critical path: the lock file is gone (a later flock makes a fresh one, so nobody
      // waits on this holder), and the holder's SSH channel closes up to a second after its kill.
      void hostLock.release().catch((err: unknown) => log.warn({ err, slug }, "could not release the preview's host lock"));
      // Its credentials are gone from the host: stop looking for them in every line.
      redact.unregister(previewSecretScope(slug));
      log.info({ slug, removed }, "preview destroyed");
      return { slug, ...(record ? { branch: record.branch } : {}), host: host.name, removed: record && removed.length === 0 ? ["state record"] : removed };
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
