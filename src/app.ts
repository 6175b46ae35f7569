import { join } from "node:path";
import type { DestinationStream } from "pino";
import { createRouter, type Router } from "./bot/router.js";
import { readSecretEnv, resolveConfigPath, type LoadedConfig } from "./config/load-config.js";
import { createAuditLog } from "./core/audit-log.js";
import { createAuthorize } from "./core/authorize.js";
import { createLogger, type Logger } from "./core/logger.js";
import { createMetrics, type Metrics } from "./core/metrics.js";
import type { Notifier } from "./core/notifier.js";
import { createRedactor, type Redactor } from "./core/redact.js";
import type { Handler } from "./handlers/handler.js";
import { createPreviewHandler } from "./handlers/preview.js";
import { createComposeClient } from "./ops/adapters/docker-compose-client.js";
import { createDockerClientForHost, createHostShell } from "./ops/adapters/create-host-shell.js";
import { createNoopDns, type DnsProvider } from "./ops/adapters/dns-provider.js";
import type { DockerClient } from "./ops/adapters/docker-client.js";
import type { HostShell } from "./ops/adapters/host-shell.js";
import { createPreviewOps, type PreviewOps } from "./ops/previews/create-preview-ops.js";
import { lockDataDir, type DataDirLock } from "./store/data-dir-lock.js";
import { openStore, type Store } from "./store/store.js";

export interface AppOptions {
  loaded: LoadedConfig;
  env?: NodeJS.ProcessEnv;
  /** Where logs go (default: stderr). */
  logDestination?: DestinationStream;
  /** Alert channel; the log stands in when no chat platform is configured. */
  notifier?: Notifier;
}

export interface App {
  router: Router;
  store: Store;
  log: Logger;
  metrics: Metrics;
  redact: Redactor;
  previews: PreviewOps | undefined;
  dataDir: string;
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
  const closers: Array<() => Promise<void>> = [() => lock.release()];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch((err: unknown) => log.warn({ err }, "error while closing"));
  };

  try {
    const store = await openStore(dataDir);
    const audit = createAuditLog(join(dataDir, "audit.jsonl"), redact);
    const metrics = createMetrics();
    const notifier: Notifier = options.notifier ?? {
      notify: async (reply) => log.warn({ alert: reply.title, lines: reply.lines }, "alert"),
    };

    const shells = new Map<string, HostShell>();
    const dockers = new Map<string, DockerClient>();
    const shellFor = (name: string): HostShell => {
      const existing = shells.get(name);
      if (existing) return existing;
      const hostCfg = config.hosts[name];
      if (!hostCfg) throw new Error(`unknown host ${name}`);
      const shell = createHostShell(name, hostCfg, {
        resolvePath: (p: string) => resolveConfigPath(loaded, p),
        readSecretEnv: (n: string) => readSecretEnv(n, env),
      });
      shells.set(name, shell);
      closers.push(() => shell.close());
      return shell;
    };
    const dockerFor = (name: string): DockerClient => {
      const existing = dockers.get(name);
      if (existing) return existing;
      const hostCfg = config.hosts[name];
      if (!hostCfg) throw new Error(`unknown host ${name}`);
      const docker = createDockerClientForHost(hostCfg, shellFor(name));
      dockers.set(name, docker);
      closers.push(() => docker.close());
      return docker;
    };

    const dns: DnsProvider = createNoopDns();
    const handlers: Handler[] = [];
    let previews: PreviewOps | undefined;
    if (config.previews?.enabled) {
      const p = config.previews;
      const host = shellFor(p.host);
      const hostCfg = config.hosts[p.host];
      previews = createPreviewOps({
        config: p,
        host,
        compose: createComposeClient(host),
        docker: dockerFor(p.host),
        dns,
        store,
        redact,
        log,
        templatePath: resolveConfigPath(loaded, p.template),
        baseDir: hostCfg?.type === "local" ? resolveConfigPath(loaded, p.base_dir) : p.base_dir,
      });
      handlers.push(createPreviewHandler({ ops: previews, config: p }));
    }

    const router = createRouter({ handlers, authorize: createAuthorize(config.access), audit, log, metrics, redact, store });

    if (previews) {
      const report = await previews.reconcile();
      for (const op of report.interrupted) {
        await notifier.notify({
          status: "warning",
          title: `${op.kind} of ${op.target} was interrupted by a restart`,
          lines: [`started ${op.startedAt} by ${op.actor}`, "Nothing was re-run. Check /preview list and destroy or redeploy it."],
        });
      }
    }

    return { router, store, log, metrics, redact, previews, dataDir, close };
  } catch (err) {
    await close();
    throw err;
  }
}
