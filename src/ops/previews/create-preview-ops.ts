import { deployPreview } from "./deploy-preview.js";
import { destroyPreview } from "./destroy-preview.js";
import { extendPreview } from "./extend-preview.js";
import { hasPreview } from "./has-preview.js";
import { listPreviews } from "./list-previews.js";
import { createPreviewContext } from "./preview-context.js";
import type { PreviewOps, PreviewOpsOptions } from "./preview-types.js";
import { reconcilePreviews } from "./reconcile-previews.js";
import { sweepExpired } from "./sweep-expired.js";

export type { DeployRequest, PreviewListing, PreviewOps, PreviewOpsOptions, ReconcileReport, StartedPreview, StoppedPreview } from "./preview-types.js";

/**
 * Preview environments on one host: deploy, destroy, extend, list, reconcile.
 *
 * Locking: a per-slug guard in this process (a second request for the same slug is refused
 * at once, not queued), a process-wide mutex around quota check + reservation (so two different
 * branches cannot both take the last slot), and `flock -n` on the host held by a small holder
 * process for the whole remote critical section (see ../host-lock.ts), against a second bot or a
 * human racing on the same preview. At most 3 host locks are held at once per process (each
 * holder keeps an SSH session); further deploys/destroys of other slugs wait for a slot.
 *
 * State: an operation record (`running`) and the preview record (`deploying`) are written before
 * anything happens on the host, so a crash leaves a record that `reconcile` turns into
 * `interrupted` / `failed` and that `list` shows and `destroy` removes.
 */
export function createPreviewOps(options: PreviewOpsOptions): PreviewOps {
  const ctx = createPreviewContext(options);
  return {
    deploy: (req, progress) => deployPreview(ctx, req, progress),
    destroy: (slugOrBranch, actor, progress) => destroyPreview(ctx, slugOrBranch, actor, progress),
    exists: (slugOrBranch) => hasPreview(ctx, slugOrBranch),
    extend: (slugOrBranch, ttlMs, actor) => extendPreview(ctx, slugOrBranch, ttlMs, actor),
    list: () => listPreviews(ctx),
    reconcile: () => reconcilePreviews(ctx),
    resolveSlug: (slugOrBranch) => ctx.resolveSlug(slugOrBranch),
    sweepExpired: (now, actor) => sweepExpired(ctx, now, actor),
  };
}
