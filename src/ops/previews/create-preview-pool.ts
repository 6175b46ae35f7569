import { Mutex } from "async-mutex";
import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Redactor } from "../../core/redact.js";
import type { Store } from "../../store/store.js";
import type { PreviewRecord } from "../../store/state.js";
import type { DockerClient } from "../adapters/docker-client.js";
import type { HostResources } from "../adapters/host-resources.js";
import type { HostShell } from "../adapters/host-shell.js";
import { getHostResources } from "../adapters/get-host-resources.js";
import { choosePreviewHost, type PoolCandidate } from "./choose-preview-host.js";
import type { OrphanPreview, PoolQuota, PreviewListing, PreviewOps, ReconcileReport, SweepReport } from "./preview-types.js";
import { PREVIEW_LABEL } from "./render-template.js";
import { toSlug, validateBranch } from "./slug.js";

/** One pool host: its own preview ops (created with `pool: quota`), shell and docker client. */
export interface PoolMember extends PoolCandidate {
  ops: PreviewOps;
  docker: DockerClient;
}

export interface PoolQuotaOptions {
  store: Store;
  /** Docker clients of every pool host, by host name. */
  dockers: ReadonlyMap<string, DockerClient>;
  quota: number;
}

/**
 * The pool-wide quota: previews running on any host (their label on running containers; a host
 * that does not answer counts its `running` state records instead) plus reservations in state.
 */
export function createPoolQuota(o: PoolQuotaOptions): PoolQuota {
  const quotaLock = new Mutex();
  async function checkQuota(exceptSlug: string): Promise<void> {
    const records = o.store.read().previews;
    const inUse = new Map<string, string>();
    await Promise.all([...o.dockers].map(async ([name, docker]) => {
      try {
        for (const c of await docker.listByLabel(PREVIEW_LABEL, { runningOnly: true })) {
          const slug = c.labels[PREVIEW_LABEL];
          if (slug && slug !== exceptSlug) inUse.set(slug, "running");
        }
      } catch {
        // Unreachable: what state says runs there still takes its slot.
        for (const p of records) if (p.host === name && p.status === "running" && p.slug !== exceptSlug) inUse.set(p.slug, "running");
      }
    }));
    for (const p of records) if (p.status === "deploying" && p.slug !== exceptSlug && !inUse.has(p.slug)) inUse.set(p.slug, "deploying");
    if (inUse.size >= o.quota) {
      const list = [...inUse].map(([s, st]) => (st === "running" ? s : `${s} (${st})`)).join(", ");
      throw new OpsError("quota", `the preview quota of the pool is reached: ${inUse.size} of ${o.quota} in use across ${[...o.dockers.keys()].join(", ")} (${list})`, "Destroy one you no longer need with /preview destroy <slug>, or wait for one to expire.");
    }
  }
  return { quotaLock, checkQuota };
}

export interface PreviewPoolOptions {
  /** In `previews.hosts` order (the first wins a tie). */
  members: readonly PoolMember[];
  store: Store;
  redact: Redactor;
  log: Logger;
  getResources?: (host: HostShell, path: string) => Promise<HostResources>;
}

/**
 * The preview operations over a pool of hosts, behind the one-host `PreviewOps` interface:
 * a new preview is placed by `choosePreviewHost`, anything already in state goes to the host
 * its record names, and list/reconcile walk every host (one that fails is reported, not fatal).
 */
export function createPreviewPool(o: PreviewPoolOptions): PreviewOps {
  const { members, store, redact, log } = o;
  const first = members[0];
  if (!first) throw new OpsError("config", "a preview pool needs at least one host", "List hosts under previews.hosts.");
  const byName = new Map(members.map((m) => [m.name, m]));
  const getResources = o.getResources ?? getHostResources;
  const reason = (err: unknown): string => redact(err instanceof Error ? err.message : String(err));

  function record(slugOrBranch: string): PreviewRecord | undefined {
    const slug = first?.ops.resolveSlug(slugOrBranch);
    return store.read().previews.find((p) => p.slug === slug);
  }

  /** The member holding a preview: its state record's host, else the first host with anything of it. */
  async function holder(slugOrBranch: string): Promise<PoolMember> {
    const rec = record(slugOrBranch);
    const named = rec && byName.get(rec.host);
    if (named) return named;
    for (const m of members) {
      if (await m.ops.exists(slugOrBranch).catch(() => false)) return m;
    }
    return first as PoolMember;
  }

  const ops: PreviewOps = {
    async deploy(req, progress) {
      const slug = toSlug(validateBranch(req.branch));
      const rec = store.read().previews.find((p) => p.slug === slug);
      const existing = rec && byName.get(rec.host);
      if (existing) return existing.ops.deploy(req, progress);
      await progress(`Preview ${slug}: choosing a host of ${members.map((m) => m.name).join(", ")} (most free memory)…`).catch(() => undefined);
      const inUse = new Map<string, number>();
      for (const p of store.read().previews) if (p.status === "running" || p.status === "deploying") inUse.set(p.host, (inUse.get(p.host) ?? 0) + 1);
      const placement = await choosePreviewHost(members, getResources, redact, inUse);
      log.info({ slug, host: placement.name }, "preview placed");
      const started = await (byName.get(placement.name) as PoolMember).ops.deploy(req, progress);
      return { ...started, warnings: [...placement.warnings, ...started.warnings] };
    },
    async destroy(slugOrBranch, actor, progress: ProgressFn) {
      return (await holder(slugOrBranch)).ops.destroy(slugOrBranch, actor, progress);
    },
    async extend(slugOrBranch, ttlMs, actor) {
      return (await holder(slugOrBranch)).ops.extend(slugOrBranch, ttlMs, actor);
    },
    async exists(slugOrBranch) {
      if (record(slugOrBranch)) return true;
      for (const m of members) if (await m.ops.exists(slugOrBranch).catch(() => false)) return true;
      return false;
    },
    resolveSlug: (slugOrBranch) => first.ops.resolveSlug(slugOrBranch),
    async list() {
      const listings = await Promise.all(members.map(async (m): Promise<PreviewListing> => {
        try {
          return await m.ops.list();
        } catch (err) {
          const previews = store.read().previews.filter((p) => p.host === m.name).map((p) => ({ ...p, runningContainers: 0 }));
          return { host: m.name, previews, orphans: [], hostError: `could not list previews on ${m.name}: ${reason(err)}` };
        }
      }));
      const orphans = new Map<string, OrphanPreview>();
      for (const l of listings) for (const orphan of l.orphans) if (!orphans.has(orphan.slug)) orphans.set(orphan.slug, { ...orphan, host: orphan.host ?? l.host });
      const hostErrors = listings.flatMap((l) => (l.hostError ? [l.hostError] : []));
      const routeErrors = listings.flatMap((l) => (l.routeError ? [l.routeError] : []));
      const orphanRoutes = listings.flatMap((l) => l.orphanRoutes ?? []);
      return {
        host: members.map((m) => m.name).join(", "),
        previews: listings.flatMap((l) => l.previews),
        orphans: [...orphans.values()],
        ...(orphanRoutes.length > 0 ? { orphanRoutes } : {}),
        ...(routeErrors.length > 0 ? { routeError: routeErrors.join("; ") } : {}),
        ...(hostErrors.length > 0 ? { hostError: hostErrors.join("; ") } : {}),
      };
    },
    async sweepExpired(now, actor) {
      // Every host at once, each in its own batch; a host that fails is reported and the others go on.
      const reports = await Promise.all(members.map(async (m): Promise<SweepReport> => {
        try {
          return m.ops.sweepExpired ? await m.ops.sweepExpired(now, actor) : { destroyed: [], failed: [] };
        } catch (err) {
          return { destroyed: [], failed: [{ slug: `host ${m.name}`, error: reason(err) }] };
        }
      }));
      return { destroyed: reports.flatMap((r) => r.destroyed), failed: reports.flatMap((r) => r.failed) };
    },
    async reconcile() {
      const report: ReconcileReport = { interrupted: [], failedPreviews: [] };
      // One at a time: the first marks interrupted operations and half-made previews of every host.
      for (const m of members) {
        try {
          const r = await m.ops.reconcile();
          report.interrupted.push(...r.interrupted);
          report.failedPreviews.push(...r.failedPreviews);
          if (r.routes) {
            const routes = report.routes ?? { restored: [], removed: [], failed: [] };
            routes.restored.push(...r.routes.restored);
            routes.removed.push(...r.routes.removed);
            routes.failed.push(...r.routes.failed);
            report.routes = routes;
          }
        } catch (err) {
          log.error({ host: m.name, err: reason(err) }, "could not reconcile previews on a pool host");
          const routes = report.routes ?? { restored: [], removed: [], failed: [] };
          routes.failed.push(`host ${m.name}: ${reason(err)}`);
          report.routes = routes;
        }
      }
      return report;
    },
  };
  return ops;
}
