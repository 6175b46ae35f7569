import { actorKey, type Actor } from "../../core/command.js";
import { previewSecretScope } from "./build-preview-env.js";
import type { PreviewContext } from "./preview-context.js";
import type { PreviewNames } from "./preview-names.js";
import type { SweepReport } from "./preview-types.js";
import { listPreviewResources, removeManyPreviews } from "./remove-many-previews.js";
import { holdLocks } from "./sweep-locks.js";

/**
 * The TTL sweep of one host in one batch: every expired preview (running or failed, past
 * `expiresAt`, no operation on it in this process) gets its `preview.destroy` journal entry, its
 * lock (all in one holder process on the host; a lock another process holds leaves that preview for the next
 * sweep), and then the batched removal. State is written once per phase, not per preview.
 */
export async function sweepExpired(ctx: PreviewContext, now: Date, actor: Actor): Promise<SweepReport> {
  const { host, store, clock, redact, log, mine, config } = ctx;
  const due = store.read().previews.filter((p) => mine(p) && (p.status === "running" || p.status === "failed") && Date.parse(p.expiresAt) <= now.getTime());
  const report: SweepReport = { destroyed: [], failed: [] };
  const releases: Array<() => void> = [];
  const taken: typeof due = [];
  for (const p of due) {
    try {
      releases.push(ctx.guard(p.slug, `run /preview destroy ${p.slug}`));
      taken.push(p);
    } catch (err) {
      report.failed.push({ slug: p.slug, error: (err as Error).message });
    }
  }
  if (taken.length === 0) return report;
  try {
    const names = new Map<string, PreviewNames>(await Promise.all(taken.map(async (p) => [p.slug, await ctx.names(p.slug)] as const)));
    // The journal entries and the records' `destroying` in one state write, beside the locks (one
    // SSH session: the base directory, every lock, the directory check). Nothing is removed before
    // both are done; a failed journal write lets go of the locks at once.
    const slugs = new Set(taken.map((p) => p.slug));
    const startedAt = clock().toISOString();
    const byLock = new Map([...names.values()].map((n) => [n.lockFile, n]));
    // The Docker listing beside them too (off the critical path): removeManyPreviews then lists
    // again once the locks are held and reports anything the first listing missed.
    const listed = listPreviewResources(ctx.removeDeps.docker);
    listed.catch(() => undefined); // awaited below, or dropped when the locks fail
    const [began, locked] = await Promise.allSettled([
      ctx.journal.beginMany(taken.map((p) => ({ kind: "preview.destroy", target: p.slug, actor: actorKey(actor) })), (s) => {
        for (const rec of s.previews) if (slugs.has(rec.slug)) Object.assign(rec, { status: "destroying", updatedAt: startedAt });
      }),
      holdLocks(host, ctx.baseDir(), [...byLock.values()].map((n) => ({ lockFile: n.lockFile, dir: n.dir })), Math.ceil(config.health_timeout / 1000) + 15 * 60),
    ]);
    const releaseLocks = (release: () => Promise<void>): void => void release().catch((err: unknown) => log.warn({ err }, "could not release the sweep's preview locks"));
    if (began.status === "rejected") {
      if (locked.status === "fulfilled") releaseLocks(locked.value.release);
      throw began.reason;
    }
    const ids = began.value;
    const opOf = new Map(taken.map((p, i) => [p.slug, ids[i] as string]));
    const failed = new Map<string, string>();
    const succeeded = new Map<string, string[]>();
    let release: (() => Promise<void>) | undefined;
    try {
      if (locked.status === "rejected") throw locked.reason;
      const locks = locked.value;
      release = locks.release;
      for (const f of locks.busy) {
        const n = byLock.get(f) as PreviewNames;
        failed.set(n.slug, `preview ${n.slug} is locked on host ${host.name} by another process (${f}); the next sweep tries again`);
      }
      const results = await removeManyPreviews({ ...ctx.removeDeps, host }, locks.held.map((f) => byLock.get(f) as PreviewNames), { dirs: locks.dirs, listed });
      for (const [slug, r] of results) {
        if (r.error) failed.set(slug, r.error);
        else succeeded.set(slug, r.removed);
      }
    } catch (err) {
      for (const slug of opOf.keys()) if (!failed.has(slug) && !succeeded.has(slug)) failed.set(slug, (err as Error).message);
    } finally {
      // The lock files are gone and every record below is written under our guards: nobody waits on the holder's exit.
      if (release) releaseLocks(release);
    }
    // The records and the journal entries in one state write.
    const endedAt = clock().toISOString();
    await ctx.journal.finishMany([
      ...[...succeeded].map(([slug, removed]) => ({ id: opOf.get(slug) as string, status: "succeeded" as const, summary: removed.length > 0 ? `removed ${removed.join("; ")}` : "nothing to remove" })),
      ...[...failed].map(([slug, error]) => ({ id: opOf.get(slug) as string, status: "failed" as const, summary: error })),
    ], (s) => {
      s.previews = s.previews.filter((p) => !succeeded.has(p.slug));
      for (const rec of s.previews) if (failed.has(rec.slug)) Object.assign(rec, { status: "failed", updatedAt: endedAt });
    });
    for (const p of taken) {
      const removed = succeeded.get(p.slug);
      if (removed) {
        redact.unregister(previewSecretScope(p.slug));
        report.destroyed.push({ slug: p.slug, branch: p.branch, host: host.name, removed: removed.length === 0 ? ["state record"] : removed });
      } else {
        report.failed.push({ slug: p.slug, error: failed.get(p.slug) ?? "not removed" });
      }
    }
    log.info({ host: host.name, destroyed: report.destroyed.length, failed: report.failed.length }, "ttl sweep of expired previews");
    return report;
  } finally {
    for (const r of releases) r();
  }
}
