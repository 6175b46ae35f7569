import { isIPv4, isIPv6 } from "node:net";
import { Cloudflare, APIConnectionError, APIError } from "cloudflare";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Secret } from "../../core/secret.js";
import type { DnsProvider, DnsRecordSpec } from "./dns-provider.js";
import { DEFAULT_RETRY_POLICY, isRetryAfterTooLong, parseRetryAfter, retryWithBackoff, type RetryPolicy, type RetryVerdict } from "./retry-with-backoff.js";

export interface CloudflareDnsOptions {
  apiToken: Secret;
  /** Zone name, e.g. `example.com`; looked up once. Ignored when `zoneId` is set. */
  zone?: string;
  zoneId?: string;
  /** API base URL override (`https://api.cloudflare.com/client/v4` by default). */
  baseURL?: string;
  /** Defaults for records that do not say (config `dns.proxied`, `dns.ttl`; 1 = automatic). */
  proxied?: boolean;
  ttl?: number;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout. */
  timeoutMs?: number;
  /** Name of the environment variable holding the token, for error messages. */
  tokenEnvName?: string;
  sleep?: (ms: number) => Promise<void>;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;
const MANAGED_TYPES = ["A", "AAAA", "CNAME"] as const;

interface ExistingRecord {
  id: string;
  type: string;
  name: string;
}

function validateSpec(spec: DnsRecordSpec): void {
  const name = spec.name.toLowerCase();
  if (!HOSTNAME.test(name)) {
    throw new OpsError("bad_input", `"${spec.name.slice(0, 80)}" is not a valid DNS name`, "Use lowercase letters, digits, dashes and dots, e.g. preview-feature-x.example.com.");
  }
  const ok = spec.type === "A" ? isIPv4(spec.content) : spec.type === "AAAA" ? isIPv6(spec.content) : HOSTNAME.test(spec.content.toLowerCase());
  if (!ok) {
    throw new OpsError("bad_input", `"${spec.content.slice(0, 80)}" is not a valid ${spec.type} record target`, spec.type === "CNAME" ? "Give a host name such as app.example.com." : `Give an ${spec.type === "A" ? "IPv4" : "IPv6"} address.`);
  }
  if (spec.ttl !== undefined && spec.ttl !== 1 && (spec.ttl < 60 || spec.ttl > 86_400)) {
    throw new OpsError("config", `DNS TTL ${spec.ttl} is out of range`, "Set dns.ttl to 1 (automatic) or a value from 60 to 86400 seconds.");
  }
}

/** `A` and `AAAA` may share a name; a `CNAME` shares it with nothing. */
function conflicts(wanted: DnsRecordSpec["type"], existing: string): boolean {
  if (wanted === existing) return false;
  return wanted === "CNAME" || existing === "CNAME";
}

function classify(err: unknown): RetryVerdict {
  if (err instanceof APIConnectionError) return { retry: true };
  if (err instanceof APIError && typeof err.status === "number") {
    const status = err.status;
    const retry = status === 429 || status >= 500;
    const retryAfterMs = parseRetryAfter(err.headers);
    return retryAfterMs === undefined ? { retry, status } : { retry, status, retryAfterMs };
  }
  return { retry: false };
}

function apiErrorText(err: APIError): string {
  const first = err.errors[0];
  return first ? `${first.message} [${first.code}]` : `HTTP ${err.status ?? "?"}`;
}

/**
 * Cloudflare DNS through the official SDK. Records are identified by name: `upsert` makes exactly
 * one record of that type carry the content (creating, updating, or removing duplicates and a
 * conflicting CNAME/A), `remove` deletes every A/AAAA/CNAME with the name. Both are idempotent.
 *
 * Retries: the SDK's own retry is switched off (`maxRetries: 0`). It would re-send a bare POST
 * after a 5xx that may already have created the record, it retries 409s, and it waits as long as
 * `Retry-After` says, however long. Instead the whole look-up-then-write runs under
 * `retryWithBackoff`: 429, 5xx and connection failures are retried with backoff or the server's
 * `Retry-After` (up to `maxRetryAfterMs`), and every retry is logged (never the token).
 */
export function createCloudflareDns(options: CloudflareDnsOptions): DnsProvider {
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
  const tokenEnv = options.tokenEnvName ?? "the configured token variable (dns.api_token_env)";
  const client = new Cloudflare({
    apiToken: options.apiToken.reveal(),
    // Explicit nulls: the SDK would otherwise pick up CLOUDFLARE_EMAIL / CLOUDFLARE_API_KEY from the environment.
    apiKey: null,
    apiEmail: null,
    userServiceKey: null,
    ...(options.baseURL ? { baseURL: options.baseURL } : {}),
    maxRetries: 0,
    timeout: options.timeoutMs ?? 20_000,
    logLevel: "warn",
    logger: {
      error: (msg: string) => options.log.error({ provider: "cloudflare" }, msg),
      warn: (msg: string) => options.log.warn({ provider: "cloudflare" }, msg),
      info: (msg: string) => options.log.info({ provider: "cloudflare" }, msg),
      debug: (msg: string) => options.log.debug({ provider: "cloudflare" }, msg),
    },
  });
  const zoneIds = new Map<string, string>();
  const notZones = new Set<string>();

  function toOpsError(err: unknown, what: string, zoneLabel: string): unknown {
    if (err instanceof OpsError) return err;
    if (err instanceof APIError && (err.status === 401 || err.status === 403)) {
      return new OpsError(
        "external_api",
        `Cloudflare refused the API token while trying to ${what} (HTTP ${err.status}: ${apiErrorText(err)}); the token is missing the Zone:DNS:Edit permission for ${zoneLabel}`,
        `In the Cloudflare dashboard (My Profile → API Tokens) give the token in ${tokenEnv} the permissions Zone → DNS → Edit and Zone → Zone → Read for ${zoneLabel}, then restart opsdeck.`,
        { cause: err },
      );
    }
    const verdict = classify(err);
    if (verdict.retryAfterMs !== undefined && isRetryAfterTooLong(verdict, policy)) {
      return new OpsError(
        "external_api",
        `Cloudflare rate-limited the request to ${what}; it asks to wait ${Math.ceil(verdict.retryAfterMs / 1000)} s`,
        `Try again in ${Math.ceil(verdict.retryAfterMs / 60_000)} min.`,
        { cause: err },
      );
    }
    if (err instanceof APIError || err instanceof APIConnectionError) {
      const detail = err instanceof APIError && err.status !== undefined ? `HTTP ${err.status}: ${apiErrorText(err)}` : "connection failed";
      return new OpsError(
        "external_api",
        `Cloudflare API failed to ${what} (${detail})${verdict.retry ? ` after ${policy.retries + 1} attempts` : ""}`,
        verdict.retry ? "Check https://www.cloudflarestatus.com and try again later." : "Check the DNS settings in the config (zone, record type, content).",
        { cause: err },
      );
    }
    return err;
  }

  async function zoneFor(name: string): Promise<{ id: string; label: string }> {
    if (options.zoneId) return { id: options.zoneId, label: `zone id ${options.zoneId}` };
    const configured = options.zone?.toLowerCase();
    if (configured && name !== configured && !name.endsWith(`.${configured}`)) {
      throw new OpsError("config", `DNS name ${name} is not inside the zone ${configured}`, "Set previews.domain (or the env's hostname) to a name under dns.zone, or change dns.zone.");
    }
    // Without a configured zone, try the parent names, longest first: a.preview.example.com →
    // preview.example.com, example.com.
    const labels = name.split(".");
    const candidates = configured ? [configured] : labels.slice(1, -1).map((_, i) => labels.slice(i + 1).join("."));
    for (const zone of candidates) {
      const cached = zoneIds.get(zone);
      if (cached) return { id: cached, label: `zone ${zone}` };
      if (notZones.has(zone)) continue;
      const page = await client.zones.list({ name: zone, per_page: 5 });
      const found = page.result.find((z) => z.name === zone);
      if (found) {
        zoneIds.set(zone, found.id);
        return { id: found.id, label: `zone ${zone}` };
      }
      if (!configured) notZones.add(zone);
    }
    throw new OpsError(
      "not_found",
      options.zone ? `Cloudflare zone ${options.zone} was not found with this token` : `no Cloudflare zone visible to this token contains ${name}`,
      `Check dns.zone (or set dns.zone_id), and that the token in ${tokenEnv} has Zone → Zone → Read for that zone.`,
    );
  }

  async function recordsNamed(zoneId: string, name: string): Promise<ExistingRecord[]> {
    const out: ExistingRecord[] = [];
    for await (const r of client.dns.records.list({ zone_id: zoneId, name: { exact: name }, per_page: 100 })) {
      if ((MANAGED_TYPES as readonly string[]).includes(r.type) && r.name.toLowerCase() === name) out.push({ id: r.id, type: r.type, name: r.name });
    }
    return out;
  }

  async function deleteRecord(zoneId: string, id: string): Promise<void> {
    try {
      await client.dns.records.delete(id, { zone_id: zoneId });
    } catch (err) {
      // Gone already (a concurrent remove, or a retry after a 5xx that did delete it): that is the goal.
      if (err instanceof APIError && err.status === 404) return;
      throw err;
    }
  }

  async function upsertOnce(spec: DnsRecordSpec, name: string, log: Logger): Promise<void> {
    const zone = await zoneFor(name);
    const existing = await recordsNamed(zone.id, name);
    const body = {
      zone_id: zone.id,
      type: spec.type,
      name,
      content: spec.content,
      ttl: spec.ttl ?? options.ttl ?? 1,
      proxied: spec.proxied ?? options.proxied ?? false,
      comment: "managed by opsdeck",
    };
    for (const r of existing.filter((r) => conflicts(spec.type, r.type))) {
      log.info({ name, type: r.type }, "removing a conflicting DNS record");
      await deleteRecord(zone.id, r.id);
    }
    const same = existing.filter((r) => r.type === spec.type);
    const [keep, ...duplicates] = same;
    if (keep) await client.dns.records.update(keep.id, body);
    else await client.dns.records.create(body);
    for (const d of duplicates) await deleteRecord(zone.id, d.id);
    log.info({ name, type: spec.type, action: keep ? "updated" : "created", removedDuplicates: duplicates.length }, "DNS record upserted");
  }

  async function removeOnce(name: string, log: Logger): Promise<void> {
    const zone = await zoneFor(name);
    const existing = await recordsNamed(zone.id, name);
    for (const r of existing) await deleteRecord(zone.id, r.id);
    log.info({ name, removed: existing.length }, "DNS records removed");
  }

  async function run(op: "upsert" | "remove", name: string, what: string, fn: () => Promise<void>): Promise<void> {
    const zoneLabel = options.zoneId ? `zone id ${options.zoneId}` : options.zone ? `zone ${options.zone}` : `the zone of ${name}`;
    try {
      await retryWithBackoff(fn, { policy, classify, log: options.log, context: { provider: "cloudflare", op, name }, ...(options.sleep ? { sleep: options.sleep } : {}) });
    } catch (err) {
      throw toOpsError(err, what, zoneLabel);
    }
  }

  return {
    kind: "cloudflare",
    async upsert(spec) {
      validateSpec(spec);
      const name = spec.name.toLowerCase();
      await run("upsert", name, `publish ${spec.type} record ${name}`, () => upsertOnce(spec, name, options.log));
    },
    async remove(rawName) {
      const name = rawName.toLowerCase();
      if (!HOSTNAME.test(name)) {
        throw new OpsError("bad_input", `"${rawName.slice(0, 80)}" is not a valid DNS name`, "Use lowercase letters, digits, dashes and dots.");
      }
      await run("remove", name, `remove DNS records for ${name}`, () => removeOnce(name, options.log));
    },
  };
}
