import type { Config } from "../../config/schema.js";
import { ConfigError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Redactor } from "../../core/redact.js";
import { Secret } from "../../core/secret.js";
import type { CloudflareDnsOptions } from "../adapters/cloudflare-dns.js";
import { createNoopDns, type DnsProvider } from "../adapters/dns-provider.js";

/**
 * The DNS provider `main.ts` passes to previews and `/infra`, from the `dns:` section. The token
 * comes from the environment variable the config names (read by the caller through
 * `readSecretEnv`, so only src/config touches `process.env`) and is registered with the redactor.
 */
export function createDnsFromConfig(dns: Config["dns"], options: { log: Logger; redact: Redactor; readEnv: (name: string) => string | undefined }): DnsProvider {
  if (dns.provider === "none") return createNoopDns();
  const envName = dns.api_token_env ?? "CLOUDFLARE_API_TOKEN";
  const raw = options.readEnv(envName);
  if (!raw) throw new ConfigError([`dns.api_token_env: the environment variable ${envName} is empty or unset — export a Cloudflare API token with Zone → DNS → Edit there`]);
  const token = new Secret(raw);
  options.redact.add(token);
  return createLazyCloudflareDns({
    apiToken: token,
    ...(dns.zone ? { zone: dns.zone } : {}),
    ...(dns.zone_id ? { zoneId: dns.zone_id } : {}),
    ...(dns.api_url ? { baseURL: dns.api_url } : {}),
    proxied: dns.proxied,
    ttl: dns.ttl,
    log: options.log.child({ component: "dns" }),
    tokenEnvName: envName,
  });
}

/**
 * The Cloudflare provider, with the SDK (several MB of modules) imported on the first DNS call
 * instead of at start-up: a bot that never publishes a name never pays for it.
 */
function createLazyCloudflareDns(options: CloudflareDnsOptions): DnsProvider {
  let real: Promise<DnsProvider> | undefined;
  const load = (): Promise<DnsProvider> => (real ??= import("../adapters/cloudflare-dns.js").then((m) => m.createCloudflareDns(options)));
  return {
    kind: "cloudflare",
    upsert: async (record) => (await load()).upsert(record),
    remove: async (name) => (await load()).remove(name),
  };
}
