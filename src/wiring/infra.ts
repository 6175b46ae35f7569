import type { Config } from "../config/schema.js";
import type { Logger } from "../core/logger.js";
import type { Redactor } from "../core/redact.js";
import type { Secret } from "../core/secret.js";
import { infraDownRequestReply } from "../handlers/approval-replies.js";
import type { Handler } from "../handlers/handler.js";
import { createInfraHandler } from "../handlers/infra.js";
import type { DnsProvider } from "../ops/adapters/dns-provider.js";
import { createHetznerFromConfig } from "../ops/infra/create-hetzner-from-config.js";
import { createInfraDownApproval, infraDownPolicyOf } from "../ops/infra/create-infra-down-approval.js";
import { createInfraOps } from "../ops/infra/create-infra-ops.js";
import { createInfraDownRunner } from "../ops/infra/infra-down-runner.js";
import { requireInfraEnv } from "../ops/infra/infra-deps.js";
import type { Store } from "../store/store.js";
import type { DeploysWiring } from "./deploys.js";

export interface InfraWiringOptions {
  config: Config;
  /** The DNS provider itself (server records are written directly, not queued). */
  rawDns: DnsProvider;
  store: Store;
  log: Logger;
  redact: Redactor;
  readSecret(name: string): Secret | undefined;
  /** The desk: `infra-down` registers its runner and policy there. */
  deploys: DeploysWiring;
}

/** Hetzner servers (`hetzner:`): `/infra`, with `down` gated by the approval desk. */
export function wireInfra(options: InfraWiringOptions): Handler | undefined {
  const { config, rawDns, store, log, redact, readSecret, deploys } = options;
  if (!config.hetzner) return undefined;
  const hetznerConfig = config.hetzner;
  const hetzner = createHetznerFromConfig(hetznerConfig, { log, redact, readEnv: (n) => readSecret(n)?.reveal() });
  const infraDeps = { hetzner, dns: rawDns, store, config: hetznerConfig, dnsRecord: { proxied: config.dns.proxied, ttl: config.dns.ttl }, log };
  const infraOps = createInfraOps(infraDeps);
  const serverNameFor = (e: string): string => requireInfraEnv(hetznerConfig, e).serverName;
  const policyOf = infraDownPolicyOf(config.environments);
  deploys.runners["infra-down"] = createInfraDownRunner(infraOps, serverNameFor);
  deploys.policies["infra-down"] = policyOf;
  const { desk, approvals } = deploys;
  const infraDownApproval = desk ? createInfraDownApproval({ desk, approvals, access: config.access, policyOf, serverNameFor, requestReply: infraDownRequestReply }) : undefined;
  return createInfraHandler({ ...infraDeps, access: config.access, ops: infraOps, ...(infraDownApproval ? { approvals: infraDownApproval } : {}) });
}
