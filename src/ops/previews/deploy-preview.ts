import { readFile } from "node:fs/promises";
import ms from "ms";
import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import { checkHostResources } from "./check-host-resources.js";
import type { HostLock } from "../host-lock.js";
import type { PreviewContext } from "./preview-context.js";
import { reservePreview } from "./preview-quota.js";
import type { DeployRequest, StartedPreview } from "./preview-types.js";
import { removePreviewResources } from "./remove-preview-resources.js";
import { checkRenderedCompose, renderTemplate } from "./render-template.js";
import { MIN_TTL_MS, toSlug, validateBranch, validateSha } from "./slug.js";
import { startPreview } from "./start-preview.js";
import { stepTimer } from "./step-timer.js";
import { addTraefikLabels } from "./traefik-labels.js";

/**
 * Deploy (or redeploy) a branch's preview: validate and render, reserve a quota slot, take the
 * host lock, start it; on failure remove everything it created and put the state back.
 */
export async function deployPreview(ctx: PreviewContext, req: DeployRequest, progress: ProgressFn): Promise<StartedPreview> {
  const { config, host, store, clock, log, say } = ctx;
  const branch = validateBranch(req.branch);
  const slug = toSlug(branch);
  const mark = stepTimer(log, slug);
  const ref = req.ref !== undefined ? validateSha(req.ref) : config.default_ref;
  const ttlMs = req.ttlMs ?? config.default_ttl;
  if (!(ttlMs >= MIN_TTL_MS) || ttlMs > config.max_ttl) {
    throw new OpsError("bad_input", `the time to live must be from ${ms(MIN_TTL_MS)} to ${ms(config.max_ttl)}`, `Use --ttl from ${ms(MIN_TTL_MS)} to ${ms(config.max_ttl)}, e.g. --ttl 3d.`);
  }
  const n = await ctx.names(slug);
  const image = config.image.replaceAll("{ref}", ref);
  // Render first: a broken template fails before anything is reserved or touched.
  const rendered = addTraefikLabels(renderTemplate(await readFile(ctx.templatePath, "utf8"), {
    slug, project: n.project, network: n.network, image, hostname: n.hostname, url: n.url, ref, vars: config.vars,
    ...(config.entry ? { entry_port: String(config.entry.port) } : {}),
  }), config, n);
  const shape = checkRenderedCompose(rendered, slug, n.network);
  mark("rendered");
  // Which compose the host has (asked once per host, read-only) is looked up from here on, beside
  // the quota, checks and lock; startPreview awaits the same answer before `up`.
  ctx.compose.binary().catch(() => undefined);

  const release = ctx.guard(slug, `run /preview ${slug}`);
  try {
    await say(progress, `Preview ${slug}: checking the quota…`);
    // The quota reservation (state) and the host's checks (read-only, plus `mkdir -p` of the base
    // dir) are independent, so they run at once; both settle before either failure is reported,
    // the quota's first, and a failed check puts the reservation back below.
    // The mkdir and the check settle together too: a failed check is not reported while the mkdir still runs.
    const hostChecked = Promise.allSettled([host.exec(["mkdir", "-p", "--", ctx.baseDir()]), checkHostResources(ctx, progress)]).then((results) => {
      const failure = results.find((r) => r.status === "rejected");
      if (failure) throw failure.reason;
      mark("base dir and resources checked");
    });
    const [reserved, checked] = await Promise.allSettled([reservePreview(ctx, { n, branch, ref, ttlMs, actor: req.actor }).finally(() => mark("quota reserved")), hostChecked]);
    if (reserved.status === "rejected") throw reserved.reason;
    const { opId, previous } = reserved.value;

    let hostLock: HostLock | undefined;
    try {
      if (checked.status === "rejected") throw checked.reason;
      hostLock = await ctx.lockOnHost(n, progress);
      mark("host lock taken");
    } catch (err) {
      // Nothing was made on the host: put the state back as it was.
      await store.update((s) => {
        s.previews = s.previews.filter((p) => p.slug !== slug);
        if (previous) s.previews.push(previous);
      });
      await ctx.finishOperation(opId, "failed", (err as Error).message);
      throw err;
    }

    const warnings: string[] = [];
    try {
      return await startPreview(ctx, { n, branch, ref, ttlMs, shape, rendered, opId, redeployed: previous !== undefined, warnings, progress, mark });
    } catch (err) {
      await say(progress, `Preview ${slug} failed; removing everything it created…`);
      let cleanup = "";
      try {
        await removePreviewResources(ctx.removeDeps, n);
        await ctx.removeLockFile(n);
      } catch (cleanupErr) {
        cleanup = ` Cleaning up also failed: ${(cleanupErr as Error).message}`;
        log.error({ err: cleanupErr, slug }, "cleanup after a failed deploy failed");
      }
      await store.update((s) => {
        const rec = s.previews.find((p) => p.slug === slug);
        if (cleanup && rec) Object.assign(rec, { status: "failed", updatedAt: clock().toISOString() });
        else s.previews = s.previews.filter((p) => p.slug !== slug);
      });
      await ctx.finishOperation(opId, "failed", `${(err as Error).message}${cleanup}`);
      if (cleanup && err instanceof OpsError) {
        throw new OpsError(err.code, `${err.message}.${cleanup}`, `Run /preview destroy ${slug} to retry the clean-up.`, { cause: err, details: err.details });
      }
      throw err;
    } finally {
      await hostLock.release();
      mark("host lock released");
    }
  } finally {
    release();
  }
}
