import { Semaphore } from "async-mutex";
import type { Actor, ProgressFn } from "../core/command.js";
import { OpsError } from "../core/errors.js";
import type { Notifier } from "../core/notifier.js";
import { getHostResources } from "../ops/adapters/get-host-resources.js";
import type { DockerClient } from "../ops/adapters/docker-client.js";
import type { HostShell } from "../ops/adapters/host-shell.js";
import type { PreviewOps, SweepReport } from "../ops/previews/preview-types.js";
import type { JobDefinition } from "./scheduler.js";

export const TTL_CLEANUP_JOB = "ttl-cleanup";

/** What ttl-cleanup needs from the preview operations. */
export interface ExpiredPreviews {
  listExpired(now: Date): Promise<Array<{ slug: string }>>;
  /** The same operation as `/preview destroy`. */
  destroy(slug: string, actor: Actor, progress: ProgressFn): Promise<unknown>;
  /**
   * Destroy every expired preview in one batch per host (locks taken per preview, held ones left
   * for the next sweep); when absent the job destroys them one by one with `destroy`.
   */
  sweep?(now: Date, actor: Actor): Promise<SweepReport>;
}

/** Adapt the preview operations: expired = past `expiresAt`, and not in the middle of a deploy or destroy. */
export function expiredPreviewsFrom(ops: Pick<PreviewOps, "list" | "destroy" | "sweepExpired">): ExpiredPreviews {
  const sweepExpired = ops.sweepExpired?.bind(ops);
  return {
    ...(sweepExpired ? { sweep: (now: Date, actor: Actor) => sweepExpired(now, actor) } : {}),
    async listExpired(now) {
      const { previews } = await ops.list();
      return previews.filter((p) => (p.status === "running" || p.status === "failed") && Date.parse(p.expiresAt) <= now.getTime()).map((p) => ({ slug: p.slug }));
    },
    destroy: (slug, actor, progress) => ops.destroy(slug, actor, progress),
  };
}

/** One preview host whose disk is checked and whose unused old images are pruned. */
export interface PruneHost {
  /** The host's configured name, shown in the summary. */
  name: string;
  host: HostShell;
  docker: DockerClient;
  /** The directory whose filesystem is checked (the host's preview base dir). */
  diskPath: string;
  /** Disk use in percent; default `getHostResources` over the host shell. */
  diskUsePercent?: () => Promise<number>;
}

export interface TtlCleanupOptions {
  /** The preview operations of each preview host (one, or several swept in parallel). */
  previews: ExpiredPreviews | readonly ExpiredPreviews[];
  /** The preview host and the directory whose filesystem is checked before pruning. */
  host: HostShell;
  /** The preview host's Docker Engine API, which prunes the images. */
  docker: DockerClient;
  diskPath: string;
  cron: string;
  thresholdPercent: number;
  pruneOlderThanMs: number;
  notifier: Notifier;
  /** Disk use in percent; default `getHostResources` over the host shell. */
  diskUsePercent?: () => Promise<number>;
  /**
   * Every host of the preview pool, each checked and pruned on its own (one that cannot be reached
   * is reported and does not stop the others); default the one host of `host`/`docker`/`diskPath`.
   */
  hosts?: readonly PruneHost[];
  /** Prune only images carrying this label (`key=value`); none in production (every unused old image). */
  pruneLabel?: string;
}

/** Destroys at once per host: the preview ops hold at most 3 host locks per process anyway. */
export const SWEEP_CONCURRENCY = 3;

const JOB_ACTOR: Actor = { platform: "job", id: TTL_CLEANUP_JOB, name: TTL_CLEANUP_JOB };

/** `72h` for docker's `until` filter (whole hours, at least 1). */
function untilFilter(ms: number): string {
  return `${Math.max(1, Math.round(ms / 3_600_000))}h`;
}

/** Bytes the way the docker CLI prints them (decimal units, 4 significant digits): `0B`, `12.35MB`. */
function humanSize(bytes: number): string {
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let i = 0;
  while (value >= 1000 && i < units.length - 1) {
    value /= 1000;
    i++;
  }
  return `${Number(value.toPrecision(4))}${units[i]}`;
}

/**
 * Every 30 minutes: destroy expired previews (announcing each in the alert channel), then prune
 * unused images older than 72 h on each preview host whose disk is fuller than the threshold.
 * Only images: `docker image prune` never removes volumes or containers, so running previews
 * and their data are untouched (an image in use by any container is never pruned).
 */
export function createTtlCleanupJob(options: TtlCleanupOptions): JobDefinition {
  const { notifier } = options;
  const sources: readonly ExpiredPreviews[] = Array.isArray(options.previews) ? options.previews : [options.previews as ExpiredPreviews];
  const pruneHosts: readonly PruneHost[] = options.hosts && options.hosts.length > 0
    ? options.hosts
    : [{ name: options.host.name, host: options.host, docker: options.docker, diskPath: options.diskPath, ...(options.diskUsePercent ? { diskUsePercent: options.diskUsePercent } : {}) }];
  /** One host's disk check, then its prune when the disk is fuller than the threshold. */
  async function pruneOn(h: PruneHost): Promise<string> {
    const percent = h.diskUsePercent ? await h.diskUsePercent() : (await getHostResources(h.host, h.diskPath)).diskUsePercent;
    if (percent <= options.thresholdPercent) return `disk ${percent} % (prune above ${options.thresholdPercent} %)`;
    const until = untilFilter(options.pruneOlderThanMs);
    const pruned = await h.docker.pruneImages({ until, ...(options.pruneLabel ? { label: options.pruneLabel } : {}) });
    return `disk ${percent} % > ${options.thresholdPercent} %: pruned images older than ${until}, reclaimed ${humanSize(pruned.reclaimedBytes)}`;
  }
  return {
    name: TTL_CLEANUP_JOB,
    description: "destroy expired previews; prune old images when the disk is full",
    schedule: { kind: "cron", cron: options.cron },
    async run({ now }) {
      const destroyed: string[] = [];
      const failed: string[] = [];
      // One sweep per preview host at once; within a host at most SWEEP_CONCURRENCY destroys at a
      // time (each holds the preview's flock and SSH sessions). A preview whose lock is held by
      // someone else fails at once (`flock -n`) and is left for the next sweep; the others go on.
      const announce = async (slug: string): Promise<void> => {
        await notifier.notify({ status: "info", title: `preview ${slug} expired and was destroyed`, lines: ["Its containers, volumes, DNS record and directory were removed by ttl-cleanup."] });
      };
      await Promise.all(sources.map(async (source) => {
        if (source.sweep) {
          // One batch per host (see sweepExpired); each preview still gets its journal entry and announcement.
          const report = await source.sweep(now, JOB_ACTOR);
          for (const d of report.destroyed) {
            destroyed.push(d.slug);
            await announce(d.slug).catch((err: unknown) => failed.push(`${d.slug}: destroyed, but the announcement failed: ${err instanceof Error ? err.message : String(err)}`));
          }
          for (const f of report.failed) failed.push(`${f.slug}: ${f.error}`);
          return;
        }
        const expired = await source.listExpired(now);
        const slots = new Semaphore(SWEEP_CONCURRENCY);
        await Promise.all(expired.map(({ slug }) => slots.runExclusive(async () => {
          try {
            await source.destroy(slug, JOB_ACTOR, async () => {});
            destroyed.push(slug);
            await announce(slug);
          } catch (err) {
            failed.push(`${slug}: ${err instanceof Error ? err.message : String(err)}`);
          }
        })));
      }));
      // Each host checks its own disk and prunes its own images, all at once; a host that fails is reported.
      const unreachable: string[] = [];
      const lines = await Promise.all(pruneHosts.map(async (h) => {
        try {
          const line = await pruneOn(h);
          return pruneHosts.length > 1 ? `${h.name}: ${line}` : line;
        } catch (err) {
          unreachable.push(`${h.name}: ${err instanceof Error ? err.message : String(err)}`);
          return `${h.name}: disk check/prune failed`;
        }
      }));
      const summary = `destroyed ${destroyed.length} expired preview(s)${destroyed.length ? ` (${destroyed.join(", ")})` : ""}; ${lines.join("; ")}`;
      if (failed.length > 0) {
        throw new OpsError("remote_failed", `ttl-cleanup could not destroy ${failed.length} expired preview(s); ${summary}`, "Run /preview destroy <slug> by hand and read its error.", { details: [...failed, ...unreachable].join("\n") });
      }
      if (unreachable.length > 0) {
        throw new OpsError("remote_failed", `ttl-cleanup could not check or prune ${unreachable.length} preview host(s); ${summary}`, "Check that the host is up and reachable over SSH (/status); the next sweep tries it again.", { details: unreachable.join("\n") });
      }
      return { summary };
    },
  };
}
