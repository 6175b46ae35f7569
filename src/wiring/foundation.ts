import { join } from "node:path";
import { resolveConfigPath, type LoadedConfig } from "../config/load-config.js";
import { createAuditLog, type AuditLog } from "../core/audit-log.js";
import type { Logger } from "../core/logger.js";
import { createMetrics, type Metrics } from "../core/metrics.js";
import type { AlertTarget } from "../core/notifier.js";
import type { Redactor } from "../core/redact.js";
import type { DnsProvider } from "../ops/adapters/dns-provider.js";
import { createDnsFromConfig } from "../ops/dns/create-dns-from-config.js";
import { createQueueingDns } from "../ops/dns/create-queueing-dns.js";
import { createEnvLocks, type EnvLocks } from "../ops/env-locks.js";
import { openStore, type Store } from "../store/store.js";
import { createChatAndAlerts, type ChatAndAlerts } from "./chat-and-alerts.js";
import { createHostRegistry, type GivenHost, type HostRegistry } from "./host-registry.js";

export interface FoundationOptions {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  dataDir: string;
  redact: Redactor;
  log: Logger;
  alertTargets?: AlertTarget[];
  /** Host connections opened by the caller (see `HostRegistryOptions.given`). */
  hostConnections?: Record<string, GivenHost>;
}

/** What every feature stands on: state, audit, metrics, alerts and secrets, the hosts, DNS, env locks. */
export interface Foundation {
  store: Store;
  auditPath: string;
  audit: AuditLog;
  metrics: Metrics;
  chat: ChatAndAlerts;
  hosts: HostRegistry;
  /** The DNS provider itself, and the wrapper that queues failed deletions for the ttl sweep. */
  rawDns: DnsProvider;
  dns: DnsProvider;
  envLocks: EnvLocks;
}

export async function createFoundation(options: FoundationOptions): Promise<Foundation> {
  const { loaded, env, dataDir, redact, log } = options;
  const { config } = loaded;
  const store = await openStore(dataDir, { prune: { keepOperationsDays: config.state.keep_operations_days, maxOperations: config.state.max_operations } });
  const auditPath = join(dataDir, "audit.jsonl");
  const audit = createAuditLog(auditPath, redact, { maxBytes: config.audit.max_bytes, keep: config.audit.keep });
  const chat = createChatAndAlerts({ config, env, store, log, redact, ...(options.alertTargets ? { alertTargets: options.alertTargets } : {}) });
  const readEnv = (n: string): string | undefined => chat.readSecret(n)?.reveal();
  const hosts = createHostRegistry({ hosts: config.hosts, resolvePath: (p) => resolveConfigPath(loaded, p), readSecretEnv: readEnv, hostKeys: chat.hostKeys, ...(options.hostConnections ? { given: options.hostConnections } : {}) });
  const rawDns = createDnsFromConfig(config.dns, { log, redact, readEnv });
  const dns = createQueueingDns(rawDns, store, log);
  return { store, auditPath, audit, metrics: createMetrics(), chat, hosts, rawDns, dns, envLocks: createEnvLocks() };
}
