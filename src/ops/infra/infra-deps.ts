import { CONFIG_NAME } from "../../config/common-schemas.js";
import { resolveInfraEnv, type Hetzner, type ResolvedInfraEnv } from "../../config/infra-config.js";
import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { escapeEcho } from "../../core/validate.js";
import type { DnsProvider } from "../adapters/dns-provider.js";
import type { HetznerClient, HetznerServer } from "../adapters/hetzner-client.js";
import type { Store } from "../../store/store.js";

/** Everything the infra operations need, passed in by `main.ts` (and by tests). */
export interface InfraDeps {
  hetzner: HetznerClient;
  dns: DnsProvider;
  store: Store;
  config: Hetzner;
  /** `dns.proxied` and `dns.ttl` from the config, for the env's A record. */
  dnsRecord?: { proxied: boolean; ttl: number };
  log: Logger;
  clock?: () => Date;
}

/** Who runs an operation and where its progress goes. */
export interface InfraRun {
  /** `platform:id` of the requester, for the operations journal. */
  actor: string;
  progress?: ProgressFn;
}

/** Label keys opsdeck sets itself (config labels may not use the `opsdeck-` prefix). */
export const ENV_LABEL = "opsdeck-env";
export const ROLE_LABEL = "opsdeck-role";

const SERVER_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Check a user-typed env name and return the env's settings. The name is allowlisted before it
 * is compared, echoed or used in a server name, label or DNS name.
 */
export function requireInfraEnv(config: Hetzner, raw: string): ResolvedInfraEnv {
  const known = Object.keys(config.envs);
  const choices = known.length > 0 ? `Use one of: ${known.join(", ")}.` : "Declare the environment under hetzner.envs in the config.";
  if (!CONFIG_NAME.test(raw)) {
    throw new OpsError("bad_input", `"${escapeEcho(raw, 40)}" is not a valid environment name (lowercase letters, digits and dashes, starting with a letter)`, choices);
  }
  const env = resolveInfraEnv(config, raw);
  if (!env) throw new OpsError("bad_input", `unknown environment "${raw}" for /infra`, choices);
  if (!SERVER_NAME.test(env.serverName)) {
    throw new OpsError("config", `server name "${env.serverName}" is not a valid host name`, "Shorten hetzner.name_prefix or the env name (63 characters at most, letters, digits, dashes).");
  }
  return env;
}

export function goldenSelector(env: string): string {
  return `${ENV_LABEL}=${env},${ROLE_LABEL}=golden`;
}

/** The env's server, found by its exact name among those carrying the prefix. */
export async function findEnvServer(deps: InfraDeps, env: ResolvedInfraEnv): Promise<HetznerServer | undefined> {
  const servers = await deps.hetzner.listServers({ namePrefix: deps.config.name_prefix });
  return servers.find((s) => s.name === env.serverName);
}

export async function report(run: InfraRun, step: string): Promise<void> {
  if (run.progress) await run.progress(step);
}
