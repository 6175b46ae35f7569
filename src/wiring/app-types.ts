import type { DestinationStream } from "pino";
import type { Router } from "../bot/router.js";
import type { LoadedConfig } from "../config/load-config.js";
import type { HttpRoute } from "../core/http-server.js";
import type { Logger } from "../core/logger.js";
import type { Metrics } from "../core/metrics.js";
import type { AlertTarget, Notifier } from "../core/notifier.js";
import type { Redactor } from "../core/redact.js";
import type { GitHostActions } from "../ops/githost/create-githost-actions.js";
import type { PreviewOps } from "../ops/previews/create-preview-ops.js";
import type { Store } from "../store/store.js";
import type { GivenHost } from "./host-registry.js";
import type { JobsWiring } from "./jobs.js";

/** What `createApp` (src/app.ts) takes and gives. */
export interface AppOptions {
  loaded: LoadedConfig;
  env?: NodeJS.ProcessEnv;
  /** Where logs go (default: stderr). */
  logDestination?: DestinationStream;
  /** Extra alert-channel targets (chat adapters add theirs); the log always records alerts. */
  alertTargets?: AlertTarget[];
  /** Host connections opened by the caller, by config host name, used instead of new ones (tests: loopback shells). */
  hostConnections?: Record<string, GivenHost>;
  /** The approvals' clock (request expiry); default the system clock. */
  approvalClock?: () => Date;
}

export interface App {
  router: Router;
  store: Store;
  log: Logger;
  metrics: Metrics;
  redact: Redactor;
  notifier: Notifier;
  /** Alert-channel targets; chat adapters started later push theirs here. */
  alertTargets: AlertTarget[];
  previews: PreviewOps | undefined;
  jobs: JobsWiring;
  dataDir: string;
  /** POST endpoints for the HTTP server (Git-host webhooks). */
  httpRoutes: HttpRoute[];
  /** For Caddy's on-demand TLS `ask` (`/caddy/ask`): true for the hostname of a live preview. */
  isLivePreviewHost: (hostname: string) => boolean;
  /** Git-host webhook actions, when `githost:` is configured (`drain()` waits for running ones). */
  githost: GitHostActions | undefined;
  /**
   * Announce what the start-up found (operations a crash interrupted, approvals that expired while
   * the bot was down) on the alert channels; call it once the chat platforms are up.
   */
  reportStartup(): Promise<void>;
  /** Start the scheduler (the one-shot CLI mode does not). */
  startJobs(): Promise<void>;
  close(): Promise<void>;
}
