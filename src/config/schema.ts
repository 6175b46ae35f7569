import { z } from "zod";
import { configName, envVarName } from "./common-schemas.js";
import { Duration, DurationOrZero } from "./duration.js";
import { DiscordConfig } from "./discord-config.js";
import { checkEnvironmentHosts, Environments } from "./environments-config.js";
import { Hetzner } from "./infra-config.js";
import { PreviewProxy } from "./proxy-config.js";
import { GitHostConfig } from "./githost-config.js";
import { Backups, checkJobsConfig, HealthChecks, Jobs } from "./jobs-config.js";
import { checkSeedConfig, Runbooks, Seeds } from "./seed-config.js";
import { SlackConfig } from "./slack-config.js";
import { TelegramConfig } from "./telegram-config.js";

export { Duration };

const Name = configName("must be lowercase letters, digits and dashes, starting with a letter (e.g. preview1)");

/** The name of an environment variable that holds a secret; the secret itself never sits in the file. */
const EnvVarName = envVarName("SLACK_BOT_TOKEN");


/** Bytes of each output stream a command's result keeps (first half + last half); default 1 MiB. */
const OutputLimit = z.number().int().min(4096).max(256 * 1024 * 1024).optional();
/** Largest file opsdeck reads from the host (`.env` files), default 16 MiB; a larger one is refused. */
const ReadLimit = z.number().int().min(4096).max(1024 * 1024 * 1024).optional();

export const LocalHost = z.strictObject({
  type: z.literal("local"),
  command_timeout: Duration.default(120_000),
  /**
   * The Docker API socket (on the host; forwarded over SSH for `ssh` hosts). `docker compose` and the
   * TTL sweep's batched `docker rm` run as the host's docker CLI, which talks to its default daemon:
   * this must be that daemon's socket (or a proxy in front of it).
   */
  docker_socket: z.string().default("/var/run/docker.sock"),
  output_limit_bytes: OutputLimit,
  read_limit_bytes: ReadLimit,
});

export const SshHost = z.strictObject({
  type: z.literal("ssh"),
  address: z.string().regex(/^[A-Za-z0-9.:-]+$/, "must be a host name or IP address such as 10.0.0.5"),
  port: z.number().int().min(1).max(65535).default(22),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, "must be a user name such as deploy"),
  key_path: z.string().min(1),
  /** Environment variable holding the key's passphrase, if any. */
  key_passphrase_env: EnvVarName.optional(),
  command_timeout: Duration.default(120_000),
  /**
   * The Docker API socket (on the host; forwarded over SSH for `ssh` hosts). `docker compose` and the
   * TTL sweep's batched `docker rm` run as the host's docker CLI, which talks to its default daemon:
   * this must be that daemon's socket (or a proxy in front of it).
   */
  docker_socket: z.string().default("/var/run/docker.sock"),
  /** SHA256 fingerprint of the host key (`SHA256:…`); when set, any other key is refused. */
  host_key_fingerprint: z.string().optional(),
  output_limit_bytes: OutputLimit,
  read_limit_bytes: ReadLimit,
});

export const Host = z.discriminatedUnion("type", [LocalHost, SshHost]);
export type Host = z.infer<typeof Host>;

const PreviewsFields = z.strictObject({
  enabled: z.boolean().default(true),
  /** Host name from `hosts` (one preview host). */
  host: Name.optional(),
  /** A pool of preview hosts from `hosts` (instead of `host`): a new preview goes to the one with the most free memory. */
  hosts: z.array(Name).min(1).optional(),
  /** Per pool host: `base_dir` on that host (default `base_dir`). */
  base_dirs: z.record(Name, z.string().min(1)).default({}),
  /** Per pool host: the DNS record target of its previews (default `dns_target`). */
  dns_targets: z.record(Name, z.string().min(1)).default({}),
  /** Per pool host: stricter or looser free disk/memory minimums than the pool's. */
  host_minimums: z.record(Name, z.strictObject({ min_free_disk_mb: z.number().int().min(0).optional(), min_free_memory_mb: z.number().int().min(0).optional() })).default({}),
  /** Previews at once on any one pool host (`quota` is across the whole pool). */
  quota_per_host: z.number().int().min(1).max(500).optional(),
  /** Directory on the host holding one sub-directory per preview. */
  base_dir: z.string().min(1),
  /** Base domain: a preview is published as `preview-<slug>.<domain>`. */
  domain: z.string().regex(/^[a-z0-9.-]+$/, "must be a domain such as preview.example.com"),
  /** URL shown to users; `{hostname}` and `{slug}` are filled in. */
  url: z.string().default("https://{hostname}"),
  /** Compose template rendered for each preview (path relative to the config file or absolute). */
  template: z.string().default("templates/preview/docker-compose.yml"),
  /** Image for the app service; `{ref}` becomes the `--sha` value or `default_ref`. */
  image: z.string().min(1),
  default_ref: z.string().regex(/^[A-Za-z0-9._-]{1,128}$/).default("latest"),
  /** Extra values for the template, available as `{{vars.NAME}}`. */
  vars: z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/i), z.string()).default({}),
  /** Names of credentials generated per preview and written only to its `.env` (mode 600). */
  credentials: z.array(EnvVarName).default(["DB_PASSWORD", "APP_SECRET"]),
  default_ttl: Duration.default(3 * 86_400_000),
  max_ttl: Duration.default(14 * 86_400_000),
  quota: z.number().int().min(1).max(500).default(5),
  min_free_disk_mb: z.number().int().min(0).default(2048),
  min_free_memory_mb: z.number().int().min(0).default(512),
  health_timeout: Duration.default(180_000),
  /** Lines of container logs shown when a deploy fails. */
  log_tail_lines: z.number().int().min(1).max(200).default(30),
  /** DNS record published per preview, when a DNS provider is configured. */
  dns_target: z.string().optional(),
  /**
   * When images are pulled: `always` (a failed pull is fatal unless the image is on the host, then
   * a warning), `missing` (only images not on the host; no warning for a local image), `never`.
   */
  pull: z.enum(["always", "missing", "never"]).default("missing"),
  /**
   * How long `/preview destroy` waits for containers to stop before killing them (the data is
   * deleted anyway); `0s` kills at once. The TTL sweep kills expired previews at once (`rm -f`).
   */
  stop_timeout: DurationOrZero.default(2_000),
  /**
   * The service and port that answer the preview's URL. Waited on (TCP connect from the host)
   * when the service has no healthcheck.
   */
  entry: z.strictObject({ service: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, "must be a service name from the template, such as app"), port: z.number().int().min(1).max(65535) }).optional(),
  /** The reverse proxy serving `preview-<slug>.<domain>` → `entry` (Caddy admin API or Traefik labels); none when omitted. */
  proxy: PreviewProxy.optional(),
});
export const Previews = PreviewsFields.superRefine((p, ctx) => {
  if (p.host !== undefined && p.hosts !== undefined) ctx.addIssue({ code: "custom", path: ["hosts"], message: "set either previews.host or previews.hosts, not both" });
  if (p.host === undefined && p.hosts === undefined) ctx.addIssue({ code: "custom", path: ["host"], message: "is required (or previews.hosts for a pool of preview hosts)" });
  if (p.hosts && new Set(p.hosts).size !== p.hosts.length) ctx.addIssue({ code: "custom", path: ["hosts"], message: "names a host twice" });
  const pool = new Set(p.hosts ?? (p.host ? [p.host] : []));
  for (const key of ["base_dirs", "dns_targets", "host_minimums"] as const) {
    for (const name of Object.keys(p[key])) if (!pool.has(name)) ctx.addIssue({ code: "custom", path: [key, name], message: `names host "${name}", which is not in previews.hosts` });
  }
}).transform(({ host, hosts, ...rest }) => {
  const pool = hosts ?? [host as string];
  /** `host` is the first pool host (what single-host code and messages use); `hosts` is the whole pool. */
  return { ...rest, host: pool[0] as string, hosts: pool };
});
export type Previews = z.infer<typeof Previews>;

export const Access = z.strictObject({
  /** role → identities written `platform:id`, e.g. `slack:T01/U123`, `discord:123`, `console:local`. */
  roles: z.record(Name, z.array(z.string().regex(/^(console|slack|discord|telegram):[A-Za-z0-9_./-]+$/, "must be platform:id such as slack:U0123 or console:local"))).default({}),
  /** command (or `command subcommand`, optionally `@env`) → roles that may run it; `deploy@prod` beats `deploy`. Read-only commands are open to every known user. */
  rules: z.record(z.string().regex(/^[a-z]+( [a-z]+)?(@[a-z][a-z0-9-]{0,31})?$/, "must be a command, optionally with a sub-command and @env, such as deploy, \"preview destroy\" or deploy@prod"), z.array(Name)).default({}),
});
export type Access = z.infer<typeof Access>;

export const Http = z.strictObject({
  enabled: z.boolean().default(true),
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8787),
});

export const Console = z.strictObject({
  enabled: z.boolean().default(true),
  /** The identity of whoever types at the console. */
  user: z.string().regex(/^[a-z0-9_-]{1,32}$/).default("local"),
});

export const Dns = z.strictObject({
  provider: z.enum(["none", "cloudflare"]).default("none"),
  api_token_env: EnvVarName.optional(),
  zone: z.string().optional(),
  zone_id: z.string().optional(),
  proxied: z.boolean().default(false),
  ttl: z.number().int().min(1).default(1),
  fail_on_error: z.boolean().default(true),
  api_url: z.string().url().optional(),
});

/** `data/audit.jsonl` rotation: rotate past `max_bytes`, keep `keep` rotated files (`audit.jsonl.1` newest). */
export const Audit = z.strictObject({
  max_bytes: z.number().int().min(64 * 1024, "must be at least 65536 (64 KiB), e.g. 10485760 for 10 MiB").default(10 * 1024 * 1024),
  keep: z.number().int().min(1).max(100).default(5),
});

/** `data/state.json` bounds: finished operations (and decided approvals) older or beyond these are pruned. */
export const StateBounds = z.strictObject({
  keep_operations_days: z.number().int().min(1).max(3650).default(90),
  max_operations: z.number().int().min(100).max(1_000_000).default(5000),
});

export const Chat = z.strictObject({
  slack: SlackConfig.optional(),
  discord: DiscordConfig.optional(),
  telegram: TelegramConfig.optional(),
});
export type Chat = z.infer<typeof Chat>;

export const Config = z
  .strictObject({
    data_dir: z.string().default("data"),
    /** Commands one identity may send per minute before the router answers "too many"; 0 = no limit. */
    commands_per_minute: z.number().int().min(0).max(10_000).default(30),
    log_level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    http: Http.default({ enabled: true, host: "127.0.0.1", port: 8787 }),
    console: Console.default({ enabled: true, user: "local" }),
    hosts: z.record(Name, Host).refine((h) => Object.keys(h).length > 0, "must declare at least one host, e.g. local: { type: local }"),
    previews: Previews.optional(),
    dns: Dns.default({ provider: "none", proxied: false, ttl: 1, fail_on_error: true }),
    access: Access.default({ roles: {}, rules: {} }),
    audit: Audit.default({ max_bytes: 10 * 1024 * 1024, keep: 5 }),
    state: StateBounds.default({ keep_operations_days: 90, max_operations: 5000 }),
    chat: Chat.default({}),
    environments: Environments,
    hetzner: Hetzner.optional(),
    githost: GitHostConfig.optional(),
    jobs: Jobs.default(Jobs.parse({})),
    backups: Backups,
    health_checks: HealthChecks,
    seed: Seeds,
    runbooks: Runbooks,
  })
  .superRefine((cfg, ctx) => {
    for (const [i, name] of (cfg.previews?.hosts ?? []).entries()) {
      if (name in cfg.hosts) continue;
      const pooled = (cfg.previews?.hosts.length ?? 0) > 1;
      ctx.addIssue({
        code: "custom",
        path: pooled ? ["previews", "hosts", i] : ["previews", "host"],
        message: `names host "${name}", which is not declared under hosts (declared: ${Object.keys(cfg.hosts).join(", ")})`,
      });
    }
    const hostNames = Object.keys(cfg.hosts);
    const problems = [
      ...checkEnvironmentHosts(cfg.environments, hostNames),
      ...checkJobsConfig({ backups: cfg.backups, health_checks: cfg.health_checks }, hostNames),
      ...checkSeedConfig(cfg.seed, cfg.runbooks, cfg.environments, hostNames),
    ];
    for (const p of problems) ctx.addIssue({ code: "custom", path: p.path, message: p.message });
    if (cfg.hetzner && cfg.dns.provider === "none" && Object.values(cfg.hetzner.envs).some((e) => e.hostname)) {
      ctx.addIssue({ code: "custom", path: ["hetzner", "envs"], message: "names a hostname but dns.provider is none; set dns.provider: cloudflare or remove the hostnames" });
    }
    if (cfg.githost && !cfg.previews?.enabled) {
      ctx.addIssue({ code: "custom", path: ["githost"], message: "acts on previews, but previews are not configured or not enabled; add a previews: section or remove githost:" });
    }
    if (cfg.previews && cfg.previews.default_ttl > cfg.previews.max_ttl) {
      ctx.addIssue({ code: "custom", path: ["previews", "default_ttl"], message: "must not be longer than previews.max_ttl" });
    }
  });
export type Config = z.infer<typeof Config>;
