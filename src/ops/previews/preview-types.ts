import type { Mutex } from "async-mutex";
import type { Actor, ProgressFn } from "../../core/command.js";
import type { Previews } from "../../config/schema.js";
import type { Logger } from "../../core/logger.js";
import type { Redactor } from "../../core/redact.js";
import type { Store } from "../../store/store.js";
import type { OperationRecord, PreviewRecord } from "../../store/state.js";
import type { ComposeClient } from "../adapters/compose-client.js";
import type { DnsProvider } from "../adapters/dns-provider.js";
import type { DockerClient } from "../adapters/docker-client.js";
import type { HostResources } from "../adapters/host-resources.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { ProxyClient } from "../adapters/proxy-client.js";
import type { RouteReconcileReport } from "./preview-route.js";

export interface PreviewOpsOptions {
  config: Previews;
  host: HostShell;
  compose: ComposeClient;
  docker: DockerClient;
  dns: DnsProvider;
  store: Store;
  redact: Redactor;
  /** Absolute path of the compose template on the bot's machine; the bot renders it. */
  templatePath: string;
  /** Absolute directory on the host; each preview lives in `<baseDir>/<slug>`. */
  baseDir: string;
  log: Logger;
  clock?: () => Date;
  /** One credential value; default 32 random bytes, base64url. */
  generateSecret?: () => string;
  /** Free disk/memory on the host for a path; default `getHostResources` over the host shell. */
  getResources?: (host: HostShell, path: string) => Promise<HostResources>;
  /**
   * Config `dns.fail_on_error` (default true): a DNS record that cannot be published fails the
   * deploy, which then removes everything it made. When false the preview stays up and the reply
   * carries a warning (it is reachable by address, not by name, until DNS is fixed).
   */
  dnsFailOnError?: boolean;
  /** The proxy driver that routes `preview-<slug>.<domain>` (config `previews.proxy`, caddy); none: routing is the operator's job. */
  proxy?: ProxyClient;
  /** Set when this host is one of a pool (create-preview-pool.ts): the pool's lock and global quota check. */
  pool?: PoolQuota;
}

export interface PoolQuota {
  /** One lock for every host of the pool, held around quota check + reservation. */
  quotaLock: Mutex;
  /** Throws `quota` when the pool-wide quota is reached, not counting `exceptSlug`; run under `quotaLock`. */
  checkQuota(exceptSlug: string): Promise<void>;
}

export interface DeployRequest {
  branch: string;
  /** Commit from `--sha`; default `previews.default_ref`. */
  ref?: string;
  ttlMs?: number;
  actor: Actor;
}

/** A preview that is up and healthy. */
export interface StartedPreview {
  slug: string;
  branch: string;
  ref: string;
  host: string;
  project: string;
  hostname: string;
  url: string;
  /** Directory on the host; credentials are in `<dir>/.env` (mode 600). */
  dir: string;
  envFile: string;
  services: string[];
  /** Per service what "up" means: `app healthy`, `worker running (no healthcheck)`, `app running (no healthcheck), answering on port 80`. */
  serviceStates: string[];
  createdAt: Date;
  expiresAt: Date;
  /** True when an existing preview of the same slug was replaced. */
  redeployed: boolean;
  /** Things that went wrong but did not stop the deploy (e.g. pull failed, local image used). */
  warnings: string[];
}

/** What `destroy` removed. A name with no state record and nothing on the host is refused (`not_found`). */
export interface StoppedPreview {
  slug: string;
  branch?: string;
  host: string;
  removed: string[];
}

export interface ExtendedPreview {
  preview: PreviewRecord;
  previousExpiresAt: Date;
  /** The requested extension went past `max_ttl` from now and was cut to it. */
  capped: boolean;
}

export interface ListedPreview extends PreviewRecord {
  /** Running containers with its label on the host. */
  runningContainers: number;
  /** `missing on host`: in state as running, but nothing runs. */
  drift?: string;
}

export interface OrphanPreview {
  slug: string;
  /** The pool host it was found on (a pool listing). */
  host?: string;
  containers: string[];
  running: number;
}

export interface PreviewListing {
  host: string;
  previews: ListedPreview[];
  /** Containers on the host with the label but no state record. */
  orphans: OrphanPreview[];
  /** Set when the host could not be asked; previews then show state only. */
  hostError?: string;
  /** Proxy routes made by opsdeck with no preview in state (hostnames), and why routes could not be listed. */
  orphanRoutes?: string[];
  routeError?: string;
}

/** What one TTL sweep did: each expired preview destroyed, or why not (left for the next sweep). */
export interface SweepReport {
  destroyed: StoppedPreview[];
  failed: Array<{ slug: string; error: string }>;
}

export interface ReconcileReport {
  /** Operations left `running` by a previous process, now `interrupted`: report them. */
  interrupted: OperationRecord[];
  /** Previews that were half made (deploying/destroying), now `failed`: listed and destroyable. */
  failedPreviews: PreviewRecord[];
  /** With a proxy: routes put back (missing after a proxy restart) or removed (no preview). */
  routes?: RouteReconcileReport;
}

export interface PreviewOps {
  deploy(req: DeployRequest, progress: ProgressFn): Promise<StartedPreview>;
  destroy(slugOrBranch: string, actor: Actor, progress: ProgressFn): Promise<StoppedPreview>;
  extend(slugOrBranch: string, ttlMs: number, actor: Actor): Promise<ExtendedPreview>;
  list(): Promise<PreviewListing>;
  reconcile(): Promise<ReconcileReport>;
  /** Whether a preview of that name (slug or branch) is in state or has anything on the host. */
  exists(slugOrBranch: string): Promise<boolean>;
  /** The slug a `destroy`/`extend` argument names: a known slug or branch, else the branch's slug. */
  resolveSlug(slugOrBranch: string): string;
  /** Destroy every expired preview (of every host) in one batch per host: the TTL sweep. */
  sweepExpired?(now: Date, actor: Actor): Promise<SweepReport>;
}
