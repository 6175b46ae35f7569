import type { Previews } from "../../config/schema.js";
import type { ComposeClient } from "../adapters/compose-client.js";
import type { DockerClient } from "../adapters/docker-client.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { ProxyClient } from "../adapters/proxy-client.js";
import { createPreviewOps } from "./create-preview-ops.js";
import { createPoolQuota, createPreviewPool, type PoolMember } from "./create-preview-pool.js";
import type { PreviewOps, PreviewOpsOptions } from "./preview-types.js";

/** What one preview host brings: its clients, its proxy (if any) and its base directory, resolved. */
export interface PreviewHostParts {
  host: HostShell;
  compose: ComposeClient;
  docker: DockerClient;
  proxy?: ProxyClient;
  baseDir: string;
}

export type ConfiguredPreviewsOptions = Omit<PreviewOpsOptions, "config" | "host" | "compose" | "docker" | "proxy" | "baseDir" | "pool"> & {
  config: Previews;
  /** The clients of a host from `hosts`; `baseDir` is that host's `base_dir` as configured. */
  partsFor(hostName: string, baseDir: string): PreviewHostParts;
};

/** A pool host's own view of the preview config: its base dir, DNS target, minimums and per-host quota. */
export function hostPreviewConfig(p: Previews, name: string): Previews {
  const min = p.host_minimums[name] ?? {};
  return {
    ...p,
    host: name,
    hosts: [name],
    base_dir: p.base_dirs[name] ?? p.base_dir,
    quota: p.quota_per_host ?? 500,
    min_free_disk_mb: min.min_free_disk_mb ?? p.min_free_disk_mb,
    min_free_memory_mb: min.min_free_memory_mb ?? p.min_free_memory_mb,
    ...(p.dns_targets[name] ?? p.dns_target ? { dns_target: p.dns_targets[name] ?? p.dns_target } : {}),
  };
}

/**
 * The preview operations `previews:` asks for: one host's ops (`host:`, or `hosts:` with one
 * name), or one ops per host behind the pool facade (`hosts:` with several) sharing one quota lock.
 */
export function createConfiguredPreviewOps(o: ConfiguredPreviewsOptions): PreviewOps {
  const { config: p, partsFor, ...rest } = o;
  if (p.hosts.length <= 1) {
    const parts = partsFor(p.host, p.base_dir);
    return createPreviewOps({ ...rest, ...parts, config: p });
  }
  const hostConfigs = p.hosts.map((name) => ({ name, config: hostPreviewConfig(p, name), parts: partsFor(name, p.base_dirs[name] ?? p.base_dir) }));
  const pool = createPoolQuota({ store: o.store, quota: p.quota, dockers: new Map(hostConfigs.map((h) => [h.name, h.parts.docker])) });
  const members: PoolMember[] = hostConfigs.map(({ name, config, parts }) => ({
    name,
    shell: parts.host,
    docker: parts.docker,
    baseDir: parts.baseDir,
    minFreeDiskMb: config.min_free_disk_mb,
    minFreeMemoryMb: config.min_free_memory_mb,
    ...(p.quota_per_host !== undefined ? { quotaPerHost: p.quota_per_host } : {}),
    ops: createPreviewOps({ ...rest, ...parts, config, pool }),
  }));
  return createPreviewPool({ members, store: o.store, redact: o.redact, log: o.log, ...(o.getResources ? { getResources: o.getResources } : {}) });
}
