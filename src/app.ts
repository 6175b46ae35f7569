import { createRouter } from "./bot/router.js";
import { createGitHostWiring } from "./bot/githost/create-githost-wiring.js";
import { resolveConfigPath } from "./config/load-config.js";
import { createAuthorize } from "./core/authorize.js";
import { createLogger } from "./core/logger.js";
import { createRedactor } from "./core/redact.js";
import { createAuditHandler } from "./handlers/audit.js";
import { OpsError } from "./core/errors.js";
import type { Handler } from "./handlers/handler.js";
import { createJournal } from "./ops/journal/create-journal.js";
import { lockDataDir } from "./store/data-dir-lock.js";
import type { App, AppOptions } from "./wiring/app-types.js";
import { wireDeploys, type DeploysWiring } from "./wiring/deploys.js";
import { createFoundation } from "./wiring/foundation.js";
import type { HostRegistry } from "./wiring/host-registry.js";
import { wireInfra } from "./wiring/infra.js";
import { createJobs } from "./wiring/jobs.js";
import { wirePreviews } from "./wiring/previews.js";
import { wireSeedAndRunbooks } from "./wiring/seed-and-runbooks.js";

export type { App, AppOptions } from "./wiring/app-types.js";

/**
 * Build everything from the config with plain factory arguments (no DI framework, no globals): one
 * host registry under per-feature wiring (src/wiring/). Takes the data-directory lock first: a
 * second process on the same data stops here.
 */
export async function createApp(options: AppOptions): Promise<App> {
  const { loaded } = options;
  const { config } = loaded;
  const redact = createRedactor();
  const log = createLogger({ level: config.log_level, redact, ...(options.logDestination ? { destination: options.logDestination } : {}) });
  const dataDir = resolveConfigPath(loaded, config.data_dir);
  const lock = await lockDataDir(dataDir);
  // Closed in reverse order of registration (the scheduler first), then the host connections.
  const closers: Array<() => Promise<void>> = [];
  let hosts: HostRegistry | undefined;
  const close = async (): Promise<void> => {
    for (const c of [...closers].reverse()) await c().catch((err: unknown) => log.warn({ err }, "error while closing"));
    await hosts?.close((err, what) => log.warn({ err }, `error while closing a ${what}`));
    await lock.release().catch(() => {});
  };
  try {
    const { store, auditPath, audit, metrics, chat, rawDns, dns, envLocks, ...base } = await createFoundation({
      loaded, env: options.env ?? process.env, dataDir, redact, log, ...(options.alertTargets ? { alertTargets: options.alertTargets } : {}),
      ...(options.hostConnections ? { hostConnections: options.hostConnections } : {}),
    });
    const { notifier, readSecret } = chat;
    const registry = (hosts = base.hosts);
    const previews = wirePreviews({ loaded, hosts: registry, rawDns, dns, store, redact, log });
    // Jobs, backups, health (built before deploys: a deploy may run the pre-deploy backup).
    let deploys: DeploysWiring | undefined;
    const jobs = createJobs({
      jobs: config.jobs, backups: config.backups, healthChecks: config.health_checks, environments: config.environments,
      store, notifier, redact, log, shellFor: registry.shellFor, readSecret,
      // The desk is built below, with the deploys; a restore request reaches it only after start.
      restore: { environments: config.environments, composeFor: registry.composeFor, desk: () => deploys?.desk },
      // `/status <env>`: the deploy op is built below, with the deploys; only called after start.
      envStatus: async (env: string) => {
        if (!deploys?.envStatus) throw new OpsError("config", "/status <env> is not configured here: add `environments:` (see config/example.full.yaml)", "Type /status on its own for the health checks.");
        return deploys.envStatus(env);
      },
      ...(previews ? { previews: previews.forJobs } : {}),
    });
    deploys = wireDeploys({ config, hosts: registry, jobs, store, notifier, audit, redact, log, envLocks, ...(options.approvalClock ? { clock: options.approvalClock } : {}) });
    const infra = wireInfra({ config, rawDns, store, log, redact, readSecret, deploys });
    const handlers: Handler[] = [
      ...(previews ? [previews.handler] : []),
      // Without backups: the router answers /backup with "not configured here" (the registry's section).
      ...jobs.handlers.filter((h) => h.name !== "backup" || Object.keys(config.backups).length > 0),
      ...deploys.handlers,
      createAuditHandler({ path: auditPath, environments: Object.keys(config.environments) }),
      ...wireSeedAndRunbooks({ config, hosts: registry, store, audit, redact, envLocks, readSecret }),
      ...(infra ? [infra] : []),
    ];
    const router = createRouter({ handlers, authorize: createAuthorize(config.access), audit, log, metrics, redact, store, commandsPerMinute: config.commands_per_minute });
    closers.push(() => router.close());

    // Git-host webhooks: preview life cycle from pull/merge requests and pushes (through the preview ops).
    const githost = config.githost && previews ? createGitHostWiring({ config: config.githost, previews: previews.ops, store, audit, notifier, log, redact, readSecret }) : undefined;
    if (githost) closers.push(() => githost.actions.drain());

    // Start-up reconciliation: nothing running survives a restart. State is fixed now, before any
    // command runs; the reports wait for `reportStartup`, so they reach the chat alert channels
    // that start after the app is built. Previews first: their reconcile also marks half-made
    // previews failed and skips their own running operations; then the journal takes every other kind.
    const journal = createJournal({ store, redact });
    if (previews) await previews.ops.reconcile();
    await journal.reconcileAtStart();
    closers.push(deploys.startExpiry());
    let jobsStarted = false;
    closers.push(async () => {
      if (jobsStarted) await jobs.scheduler.stop();
    });
    const wired = deploys; // (a `const` for the closures below)
    return {
      router,
      store,
      log,
      metrics,
      redact,
      notifier,
      alertTargets: chat.alertTargets,
      previews: previews?.ops,
      jobs,
      dataDir,
      httpRoutes: githost?.routes ?? [],
      isLivePreviewHost: (hostname) => store.read().previews.some((p) => p.hostname === hostname && (p.status === "running" || p.status === "deploying")),
      githost: githost?.actions,
      async reportStartup() {
        await chat.releaseEarlyNotices();
        // Each interrupted entry once: marked reported after its notice, so a restart never repeats it.
        await journal.reportInterrupted((notice) => notifier.notify(notice));
        await wired.expireApprovals();
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
