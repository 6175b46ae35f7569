import { join } from "node:path";
import type { DestinationStream } from "pino";
import { createAlertNotifier } from "./bot/alert-notifier.js";
import { createRouter, type Router } from "./bot/router.js";
import { createGitHostWiring } from "./bot/githost/create-githost-wiring.js";
import { readSecretEnv, resolveConfigPath, type LoadedConfig } from "./config/load-config.js";
import { secretEnvNames } from "./config/secret-env-names.js";
import { createAuditLog } from "./core/audit-log.js";
import type { HttpRoute } from "./core/http-server.js";
import { createAuthorize } from "./core/authorize.js";
import { createLogger, type Logger } from "./core/logger.js";
import { createMetrics, type Metrics } from "./core/metrics.js";
import type { Reply } from "./core/command.js";
import type { AlertTarget, Notifier } from "./core/notifier.js";
import { createRedactor, type Redactor } from "./core/redact.js";
import { Secret } from "./core/secret.js";
import { createAuditHandler } from "./handlers/audit.js";
import { createDeployHandler } from "./handlers/deploy.js";
import type { Handler } from "./handlers/handler.js";
import { createInfraHandler } from "./handlers/infra.js";
import { createPreviewHandler } from "./handlers/preview.js";
import { createRollbackHandler } from "./handlers/rollback.js";
import { createRunbookHandler } from "./handlers/runbook.js";
import { createSeedHandler } from "./handlers/seed.js";
import { createJobs, type JobsWiring } from "./wiring/jobs.js";
import { expiredPreviewsFrom } from "./jobs/ttl-cleanup-job.js";
import type { ComposeClient } from "./ops/adapters/compose-client.js";
import { createComposeClient } from "./ops/adapters/docker-compose-client.js";
import { createDockerClientForHost, createHostShell } from "./ops/adapters/create-host-shell.js";
import { createHostKeyPins } from "./ops/adapters/host-key-pins.js";
import type { DockerClient } from "./ops/adapters/docker-client.js";
import type { HostShell } from "./ops/adapters/host-shell.js";
import { createApprovalDesk, type ApprovalDeskOptions } from "./ops/approvals/create-approval-desk.js";
import { createApprovals } from "./ops/approvals/create-approvals.js";
import { createDeployOp } from "./ops/deploy/create-deploy-op.js";
import { createDeployRunners } from "./ops/deploy/deploy-runners.js";
import { createJournal } from "./ops/journal/create-journal.js";
import { preDeployBackup } from "./ops/deploy/pre-deploy-backup.js";
import { createRestoreRunner } from "./ops/backups/restore-runner.js";
import type { ApprovalDesk } from "./ops/approvals/create-approval-desk.js";
import { createDnsFromConfig } from "./ops/dns/create-dns-from-config.js";
import { createQueueingDns } from "./ops/dns/create-queueing-dns.js";
import { retryPendingDeletions } from "./ops/dns/pending-deletions.js";
import { createEnvLocks } from "./ops/env-locks.js";
import { createHetznerFromConfig } from "./ops/infra/create-hetzner-from-config.js";
import { createInfraDownApproval, infraDownPolicyOf } from "./ops/infra/create-infra-down-approval.js";
import { createInfraOps } from "./ops/infra/create-infra-ops.js";
import { createInfraDownRunner } from "./ops/infra/infra-down-runner.js";
import { requireInfraEnv } from "./ops/infra/infra-deps.js";
import type { GitHostActions } from "./ops/githost/create-githost-actions.js";
import { createPreviewOps, type PreviewOps } from "./ops/previews/create-preview-ops.js";
import { createProxyClientForHost } from "./ops/adapters/create-proxy-client.js";
import { createSeedOps } from "./ops/seed/create-seed-ops.js";
import { lockDataDir, type DataDirLock } from "./store/data-dir-lock.js";
import { openStore, type Store } from "./store/store.js";

export interface AppOptions {
  loaded: LoadedConfig;
  env?: NodeJS.ProcessEnv;
  /** Where logs go (default: stderr). */
  logDestination?: DestinationStream;
  /** Extra alert-channel targets (chat adapters add theirs); the log always records alerts. */
  alertTargets?: AlertTarget[];
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

/**
 * Build everything from the config with plain factory arguments (no DI framework, no globals).
 * Takes the data-directory lock first: a second process on the same data stops here.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { loaded } = options;
  const { config } = loaded;
  const env = options.env ?? process.env;
  const redact = createRedactor();
  const log = createLogger({ level: config.log_level, redact, ...(options.logDestination ? { destination: options.logDestination } : {}) });
  const dataDir = resolveConfigPath(loaded, config.data_dir);

  const lock: DataDirLock = await lockDataDir(dataDir);
  // Closed in reverse order of registration: the scheduler before the shells it uses.
  const closers: Array<() => Promise<void>> = [() => lock.release()];
  const shellClosers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const c of [...closers.slice(1)].reverse()) await c().catch((err: unknown) => log.warn({ err }, "error while closing"));
    for (const c of shellClosers) await c().catch((err: unknown) => log.warn({ err }, "error while closing a host connection"));
    await lock.release().catch(() => {});
  };

  try {
    const store = await openStore(dataDir, { prune: { keepOperationsDays: config.state.keep_operations_days, maxOperations: config.state.max_operations } });
    const auditPath = join(dataDir, "audit.jsonl");
    const audit = createAuditLog(auditPath, redact, { maxBytes: config.audit.max_bytes, keep: config.audit.keep });
    const metrics = createMetrics();
    const logTarget: AlertTarget = {
      platform: "log",
      post: async (reply) => log.warn({ alert: reply.title, lines: reply.lines }, "alert"),
    };
    const alertTargets: AlertTarget[] = [logTarget, ...(options.alertTargets ?? [])];
    const notifier = createAlertNotifier(alertTargets, { log, redact });
    // Host-key notices from connections opened during start-up wait for `reportStartup`, like the
    // other start-up reports, so they reach the chat alert channels.
    const earlyHostKeyNotices: Reply[] = [];
    let startupReported = false;
    const hostKeys = createHostKeyPins({
      store,
      notify: async (reply) => {
        if (startupReported) await notifier.notify(reply);
        else earlyHostKeyNotices.push(reply);
      },
    });
    /** Read a secret by variable name and make sure it can never be printed. */
    const readSecret = (name: string): Secret | undefined => {
      const v = readSecretEnv(name, env);
      if (!v) return undefined;
      redact.add(v);
      return new Secret(v);
    };
    // Register every configured secret now, whatever runs later (see secretEnvNames). A value
    // the feature itself would refuse (too short) is left to that feature's own error.
    for (const name of secretEnvNames(config)) {
      try {
        readSecret(name);
      } catch {
        /* reported by the feature that needs it */
      }
    }

    const shells = new Map<string, HostShell>();
    const dockers = new Map<string, DockerClient>();
    const composes = new Map<string, ComposeClient>();
    const hostConfig = (name: string) => {
      const hostCfg = config.hosts[name];
      if (!hostCfg) throw new Error(`unknown host ${name}`);
      return hostCfg;
    };
    const shellFor = (name: string): HostShell => {
      const existing = shells.get(name);
      if (existing) return existing;
      const shell = createHostShell(name, hostConfig(name), {
        resolvePath: (p: string) => resolveConfigPath(loaded, p),
        readSecretEnv: (n: string) => readSecret(n)?.reveal(),
        hostKeys,
      });
      shells.set(name, shell);
      shellClosers.push(() => shell.close());
      return shell;
    };
    const dockerFor = (name: string): DockerClient => {
      const existing = dockers.get(name);
      if (existing) return existing;
      const docker = createDockerClientForHost(hostConfig(name), shellFor(name));
      dockers.set(name, docker);
      closers.push(() => docker.close());
      return docker;
    };
    const composeFor = (name: string): ComposeClient => {
      const existing = composes.get(name);
      if (existing) return existing;
      const compose = createComposeClient(shellFor(name));
      composes.set(name, compose);
      return compose;
    };

    const rawDns = createDnsFromConfig(config.dns, { log, redact, readEnv: (n) => readSecret(n)?.reveal() });
    const dns = createQueueingDns(rawDns, store, log);
    const envLocks = createEnvLocks();
    const handlers: Handler[] = [];

    // Previews
    let previews: PreviewOps | undefined;
    let previewBaseDir = "";
    if (config.previews?.enabled) {
      const p = config.previews;
      const host = shellFor(p.host);
      previewBaseDir = hostConfig(p.host).type === "local" ? resolveConfigPath(loaded, p.base_dir) : p.base_dir;
      const askHost = config.http.host === "0.0.0.0" || config.http.host === "::" ? "127.0.0.1" : config.http.host;
      const proxy = createProxyClientForHost(hostConfig(p.host), host, p, config.http.enabled ? { askUrl: `http://${askHost}:${config.http.port}/caddy/ask` } : {});
      if (proxy) closers.push(() => proxy.close());
      previews = createPreviewOps({
        ...(proxy ? { proxy } : {}),
        config: p,
        host,
        compose: composeFor(p.host),
        docker: dockerFor(p.host),
        dns,
        dnsFailOnError: config.dns.fail_on_error,
        store,
        redact,
        log,
        templatePath: resolveConfigPath(loaded, p.template),
        baseDir: previewBaseDir,
      });
      handlers.push(createPreviewHandler({ ops: previews, config: p }));
    }

    // Jobs, backups, health (built before deploys: a deploy may run the pre-deploy backup)
    const previewsForJobs = previews;
    const jobs = createJobs({
      jobs: config.jobs,
      backups: config.backups,
      healthChecks: config.health_checks,
      environments: config.environments,
      store,
      notifier,
      redact,
      log,
      shellFor,
      readSecret,
      // The desk is built below, with the deploys; a restore request reaches it only after start.
      restore: { environments: config.environments, composeFor, desk: () => desk },
      ...(previewsForJobs && config.previews
        ? {
            previews: {
              source: (() => {
                const base = expiredPreviewsFrom(previewsForJobs);
                return {
                  // The sweep also retries DNS deletions that failed earlier.
                  async listExpired(now: Date) {
                    await retryPendingDeletions(rawDns, store, { log });
                    return base.listExpired(now);
                  },
                  destroy: base.destroy,
                };
              })(),
              host: shellFor(config.previews.host),
              docker: dockerFor(config.previews.host),
              baseDir: previewBaseDir,
            },
          }
        : {}),
    });
    // Without backups: the router answers /backup with "not configured here" (the registry's section).
    handlers.push(...jobs.handlers.filter((h) => h.name !== "backup" || Object.keys(config.backups).length > 0));

    // Deploys, approvals, rollback
    const envNames = Object.keys(config.environments);
    let desk: ApprovalDesk | undefined;
    const approvals = createApprovals({ store, access: config.access });
    // Every gated action goes through the one desk; features register their kind's runner (and policy) here.
    const runners: ApprovalDeskOptions["runners"] = {};
    const policies: NonNullable<ApprovalDeskOptions["policies"]> = {};
    // With only Hetzner configured, /deploy still exists for `/deploy approve|reject <id>`.
    if (envNames.length > 0 || config.hetzner) {
      const deploy = createDeployOp({
        environments: config.environments,
        targetFor: (h) => ({ host: shellFor(h), compose: composeFor(h), docker: dockerFor(h) }),
        store,
        redact,
        log,
        envLocks,
        // A failed pre-deploy backup stops the deploy before the tag changes.
        backupFor: preDeployBackup(jobs.backups),
      });
      Object.assign(runners, createDeployRunners(deploy), jobs.restore ? { restore: createRestoreRunner(jobs.restore, config.jobs.time_zone) } : {});
      desk = createApprovalDesk({ approvals, environments: config.environments, notifier, audit, redact, log, runners, policies });
      handlers.push(createDeployHandler({ environments: config.environments, deploy, desk: desk, store, notifier }));
      handlers.push(createRollbackHandler({ environments: config.environments, access: config.access, deploy, desk, store, notifier }));
    }
    handlers.push(createAuditHandler({ path: auditPath, environments: envNames }));

    // Seed and runbooks
    if (Object.keys(config.seed).length > 0) {
      handlers.push(
        createSeedHandler({
          ops: createSeedOps({ seeds: config.seed, environments: config.environments, shellFor, composeFor, store, locks: envLocks, readSecret, redact }),
        }),
      );
    }
    if (Object.keys(config.runbooks).length > 0) handlers.push(createRunbookHandler({ runbooks: config.runbooks, shellFor, redact, audit, store }));

    // Hetzner servers
    if (config.hetzner) {
      const hetznerConfig = config.hetzner;
      const hetzner = createHetznerFromConfig(hetznerConfig, { log, redact, readEnv: (n) => readSecret(n)?.reveal() });
      const infraDeps = { hetzner, dns: rawDns, store, config: hetznerConfig, dnsRecord: { proxied: config.dns.proxied, ttl: config.dns.ttl }, log };
      const infraOps = createInfraOps(infraDeps);
      const serverNameFor = (e: string): string => requireInfraEnv(hetznerConfig, e).serverName;
      const policyOf = infraDownPolicyOf(config.environments);
      runners["infra-down"] = createInfraDownRunner(infraOps, serverNameFor);
      policies["infra-down"] = policyOf;
      const infraDownApproval = desk ? createInfraDownApproval({ desk, approvals, access: config.access, policyOf, serverNameFor }) : undefined;
      handlers.push(createInfraHandler({ ...infraDeps, access: config.access, ops: infraOps, ...(infraDownApproval ? { approvals: infraDownApproval } : {}) }));
    }

    const router = createRouter({ handlers, authorize: createAuthorize(config.access), audit, log, metrics, redact, store, commandsPerMinute: config.commands_per_minute });
    closers.push(() => router.close());

    // Git-host webhooks: preview life cycle from pull/merge requests and pushes (through the preview ops).
    const githost = config.githost && previews ? createGitHostWiring({ config: config.githost, previews, store, audit, notifier, log, redact, readSecret }) : undefined;
    if (githost) closers.push(() => githost.actions.drain());

    // Start-up reconciliation: nothing running survives a restart. State is fixed now, before any
    // command runs; the reports wait for `reportStartup`, so they reach the chat alert channels
    // that start after the app is built.
    // Previews first: their reconcile also marks half-made previews failed and skips their own
    // running operations; then the journal's one pass takes every other kind.
    const journal = createJournal({ store, redact });
    if (previews) await previews.reconcile();
    await journal.reconcileAtStart();
    // Approval requests expire even when nobody clicks: close them (and say so) every minute.
    const expireApprovals = async (): Promise<void> => {
      await desk?.expireDue().catch((err: unknown) => log.warn({ err }, "could not expire approval requests"));
    };
    if (desk) {
      const timer = setInterval(() => void expireApprovals(), 60_000);
      timer.unref();
      closers.push(async () => clearInterval(timer));
    }

    let jobsStarted = false;
    closers.push(async () => {
      if (jobsStarted) await jobs.scheduler.stop();
    });
    return {
      router,
      store,
      log,
      metrics,
      redact,
      notifier,
      alertTargets,
      previews,
      jobs,
      dataDir,
      httpRoutes: githost?.routes ?? [],
      isLivePreviewHost: (hostname) => store.read().previews.some((p) => p.hostname === hostname && (p.status === "running" || p.status === "deploying")),
      githost: githost?.actions,
      async reportStartup() {
        startupReported = true;
        for (const notice of earlyHostKeyNotices.splice(0)) await notifier.notify(notice);
        // Each interrupted entry once: marked reported after its notice, so a restart never repeats it.
        await journal.reportInterrupted((notice) => notifier.notify(notice));
        await expireApprovals();
      },
      async startJobs() {
        await jobs.scheduler.start();
        jobsStarted = true;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
