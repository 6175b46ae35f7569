import { z } from "zod";
import { configName, envVarName } from "./common-schemas.js";
import { Duration } from "./duration.js";

/**
 * `hetzner:` in the config — the preprod server(s) managed by `/infra`. The lead merges
 * `Hetzner` into `Config` as `hetzner: Hetzner.optional()`. DNS for the servers reuses the
 * existing `dns:` section (provider, token variable, zone, proxied, ttl); each env here only names
 * the hostname its server is published under.
 *
 * ```yaml
 * hetzner:
 *   api_token_env: HCLOUD_TOKEN
 *   location: nbg1
 *   server_type: cx22
 *   image: debian-12
 *   name_prefix: opsdeck-preview
 *   labels: { managed-by: opsdeck }
 *   snapshot_retention: 3
 *   ssh_keys: [deploy]
 *   envs:
 *     preprod: { hostname: preprod.example.com }
 * ```
 */

const EnvVarName = envVarName("HCLOUD_TOKEN");

/** Environment names: the same shape as deploy environments, so one name can mean both. */
export const InfraEnvName = configName("must be lowercase letters, digits and dashes, starting with a letter (e.g. preprod)");

/** Hetzner names of locations, server types and system images: `nbg1`, `cx22`, `debian-12`. */
const HetznerName = (example: string) => z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, `must be a Hetzner name such as ${example}`);

/** Server names must be RFC 1123 host names; `<prefix>-<env>` must stay within 63 characters. */
const NamePrefix = z.string().regex(/^[a-z][a-z0-9-]{0,29}[a-z0-9]$/, "must be 2–31 lowercase letters, digits and dashes, e.g. opsdeck-preview");

const Hostname = z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/, "must be a DNS name such as preprod.example.com");

/** Hetzner label rules: optional DNS prefix + `/`, then 1–63 alphanumerics with `-_.` inside. */
export const LabelKey = z
  .string()
  .regex(/^([a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/, "must be a label key such as managed-by or example.com/role")
  .refine((k) => !k.startsWith("hetzner.cloud/"), "the hetzner.cloud/ prefix is reserved")
  .refine((k) => !k.startsWith("opsdeck-"), "keys starting with opsdeck- are set by opsdeck itself");
export const LabelValue = z.string().regex(/^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/, "must be empty or up to 63 letters, digits and - _ . (starting and ending alphanumeric)");
const Labels = z.record(LabelKey, LabelValue);

/** Per-env settings; anything left out falls back to the `hetzner:` defaults. */
export const HetznerEnv = z.strictObject({
  server_type: HetznerName("cx22").optional(),
  location: HetznerName("nbg1").optional(),
  /** Base image used when no golden snapshot of this env exists yet. */
  image: HetznerName("debian-12").optional(),
  /** DNS name pointed at the server's IPv4 on `/infra up` and removed on `/infra down`. */
  hostname: Hostname.optional(),
  labels: Labels.default({}),
});
export type HetznerEnv = z.infer<typeof HetznerEnv>;

export const Hetzner = z.strictObject({
  /** Environment variable that holds the Hetzner Cloud API token (read + write). */
  api_token_env: EnvVarName.default("HCLOUD_TOKEN"),
  api_url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://api.hetzner.cloud/v1" }).default("https://api.hetzner.cloud/v1"),
  location: HetznerName("nbg1").default("nbg1"),
  server_type: HetznerName("cx22").default("cx22"),
  image: HetznerName("debian-12").default("debian-12"),
  /** Every server opsdeck manages is named `<name_prefix>-<env>`; at most one may exist at a time. */
  name_prefix: NamePrefix.default("opsdeck-preview"),
  /** Labels put on servers and snapshots (opsdeck adds `opsdeck-env` and `opsdeck-role`). */
  labels: Labels.default({ "managed-by": "opsdeck" }),
  /** Golden snapshots kept per env; older ones are deleted after each new snapshot. */
  snapshot_retention: z.number().int().min(1).max(50).default(3),
  /** SSH key names or ids injected at creation (without any, Hetzner mails a root password). */
  ssh_keys: z.array(z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, "must be an SSH key name or id as listed in the Hetzner console")).default([]),
  /** How long to wait for a Hetzner action (create, snapshot, delete) to finish. */
  action_timeout: Duration.default(15 * 60_000),
  envs: z.record(InfraEnvName, HetznerEnv).default({}),
});
export type Hetzner = z.infer<typeof Hetzner>;

/** The effective settings for one env (defaults merged in). */
export interface ResolvedInfraEnv {
  env: string;
  serverName: string;
  serverType: string;
  location: string;
  image: string;
  hostname: string | undefined;
  labels: Record<string, string>;
}

export function resolveInfraEnv(config: Hetzner, env: string): ResolvedInfraEnv | undefined {
  const e = Object.hasOwn(config.envs, env) ? config.envs[env] : undefined;
  if (!e) return undefined;
  return {
    env,
    serverName: `${config.name_prefix}-${env}`,
    serverType: e.server_type ?? config.server_type,
    location: e.location ?? config.location,
    image: e.image ?? config.image,
    hostname: e.hostname,
    labels: { ...config.labels, ...e.labels },
  };
}
