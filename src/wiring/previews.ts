import { resolveConfigPath, type LoadedConfig } from "../config/load-config.js";
import type { Actor } from "../core/command.js";
import type { Logger } from "../core/logger.js";
import type { Redactor } from "../core/redact.js";
import type { Handler } from "../handlers/handler.js";
import { createPreviewHandler } from "../handlers/preview.js";
import { expiredPreviewsFrom } from "../jobs/ttl-cleanup-job.js";
import type { DnsProvider } from "../ops/adapters/dns-provider.js";
import { retryPendingDeletions } from "../ops/dns/pending-deletions.js";
import { createConfiguredPreviewOps } from "../ops/previews/create-configured-previews.js";
import type { PreviewOps } from "../ops/previews/create-preview-ops.js";
import { reconcileOnReconnect } from "../ops/previews/reconcile-on-reconnect.js";
import type { Store } from "../store/store.js";
import type { HostRegistry } from "./host-registry.js";
import type { JobsWiringOptions } from "./jobs.js";

export interface PreviewsWiringOptions {
  loaded: LoadedConfig;
  hosts: HostRegistry;
  /** The DNS provider itself (the sweep retries its failed deletions) and its queueing wrapper. */
  rawDns: DnsProvider;
  dns: DnsProvider;
  store: Store;
  redact: Redactor;
  log: Logger;
}

export interface PreviewsWiring {
  ops: PreviewOps;
  handler: Handler;
  /** What the ttl-cleanup job needs (see `createJobs`). */
  forJobs: NonNullable<JobsWiringOptions["previews"]>;
}

/** Previews (`previews:` enabled): the ops on the preview host(s), `/preview` and the ttl sweep's source (it checks the disk and prunes images on every pool host). */
export function wirePreviews(options: PreviewsWiringOptions): PreviewsWiring | undefined {
  const { loaded, hosts, rawDns, dns, store, redact, log } = options;
  const { config } = loaded;
  const p = config.previews;
  if (!p?.enabled) return undefined;
  const host = hosts.shellFor(p.host);
  const baseDir = hosts.hostConfig(p.host).type === "local" ? resolveConfigPath(loaded, p.base_dir) : p.base_dir;
  const askHost = config.http.host === "0.0.0.0" || config.http.host === "::" ? "127.0.0.1" : config.http.host;
  // One preview host (`host:`), or one ops per host of `hosts:` behind the pool (create-configured-previews.ts).
  const ops = createConfiguredPreviewOps({
    config: p,
    partsFor(name, dir) {
      const proxy = hosts.proxyFor(name, p, config.http.enabled ? { askUrl: `http://${askHost}:${config.http.port}/caddy/ask` } : {});
      const resolved = hosts.hostConfig(name).type === "local" ? resolveConfigPath(loaded, dir) : dir;
      return { host: hosts.shellFor(name), compose: hosts.composeFor(name), docker: hosts.dockerFor(name), baseDir: resolved, ...(proxy ? { proxy } : {}) };
    },
    dns,
    dnsFailOnError: config.dns.fail_on_error,
    store,
    redact,
    log,
    templatePath: resolveConfigPath(loaded, p.template),
  });
  // Routes survive a restart of a preview host (its sshd, Caddy): re-applied when SSH reconnects.
  reconcileOnReconnect(p.hosts.map((name) => hosts.shellFor(name)), () => ops.reconcile(), { log, redact });
  const base = expiredPreviewsFrom(ops);
  return {
    ops,
    handler: createPreviewHandler({ ops, config: p }),
    forJobs: {
      source: {
        // The sweep also retries DNS deletions that failed earlier.
        async listExpired(now: Date) {
          await retryPendingDeletions(rawDns, store, { log });
          return base.listExpired(now);
        },
        destroy: base.destroy,
        ...(base.sweep ? {
          sweep: async (now: Date, actor: Actor) => {
            await retryPendingDeletions(rawDns, store, { log });
            return (base.sweep as NonNullable<typeof base.sweep>)(now, actor);
          },
        } : {}),
      },
      host,
      docker: hosts.dockerFor(p.host),
      baseDir,
      pruneHosts: p.hosts.map((name) => {
        const dir = p.base_dirs[name] ?? p.base_dir;
        return { name, host: hosts.shellFor(name), docker: hosts.dockerFor(name), diskPath: hosts.hostConfig(name).type === "local" ? resolveConfigPath(loaded, dir) : dir };
      }),
    },
  };
}
