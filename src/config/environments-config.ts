import { z } from "zod";
import { absPath, configName, envVarName, HostName } from "./common-schemas.js";
import { Duration } from "./duration.js";

/**
 * Deploy environments (`environments:` in the config). The lead merges `Environments` into
 * `Config` and calls `checkEnvironmentHosts` from its `superRefine`, so an environment that names
 * an undeclared host fails at start with the list of declared hosts.
 */

export const EnvironmentName = configName("must be lowercase letters, digits and dashes, starting with a letter (e.g. staging)");
const RoleName = configName("must be a role name such as approver");
const EnvVarName = envVarName("IMAGE_TAG");
const AbsPath = absPath("/srv/app");
const HttpUrl = z.url({ protocol: /^https?$/, error: "must be an http(s) URL such as https://app.example.com/healthz" });

/** One argv element of a configured command: printable ASCII, no NUL or line breaks. */
const ArgvElement = z.string().min(1).max(500).regex(/^[\x20-\x7e]+$/, "must be printable ASCII without line breaks");

/**
 * A command as an argv array, never a shell string: `["docker-compose","run","--rm","app","migrate"]`.
 * A leading `docker-compose` / `docker compose` is run through the compose client with the
 * environment's project and file, so it migrates the project being deployed.
 */
export const CommandArgv = z
  .array(ArgvElement)
  .min(1, "must be a non-empty argv array such as [docker-compose, run, --rm, app, migrate]")
  .refine((argv) => /^[A-Za-z0-9_.\/-]+$/.test(argv[0] ?? ""), "the first element must be a program name or path such as docker-compose");

export const SmokeCheck = z.strictObject({
  url: HttpUrl,
  expect_status: z.number().int().min(100).max(599).default(200),
});
export type SmokeCheck = z.infer<typeof SmokeCheck>;

/** A user-set ref pattern: a valid regular expression, anchored at both ends. */
const RefPattern = z
  .string()
  .max(200)
  .refine((p) => p.startsWith("^") && p.endsWith("$"), "must be anchored: start with ^ and end with $ (e.g. ^v[0-9]+$)")
  .refine((p) => {
    try {
      new RegExp(p);
      return true;
    } catch {
      return false;
    }
  }, "must be a valid regular expression");

export const ApprovalPolicy = z.strictObject({
  /** Roles whose holders may approve. Empty: nobody can approve, so protected deploys are impossible. */
  approvers: z.array(RoleName).default([]),
  /** Distinct approvals needed (never counting the requester). */
  required: z.number().int().min(1).max(5).default(1),
  /** How long a request stays open. */
  expiry: Duration.default(30 * 60_000),
  /** Roles that may roll a protected environment back without approval; announced in the alert channel. */
  emergency_rollback_roles: z.array(RoleName).default([]),
});
export type ApprovalPolicy = z.infer<typeof ApprovalPolicy>;

const ProjectName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be a compose project name such as shop-prod");
const ComposeFile = z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "must be a file name inside compose_dir such as docker-compose.yml");
const GroupName = configName("must be a group name such as core or workers");
/** A per-node `.env` value: printable ASCII, no line breaks (it becomes one `NAME=value` line). */
const NodeVarValue = z.string().max(500).regex(/^[\x20-\x7e]*$/, "must be printable ASCII without line breaks");

/** One host of a node group; compose dir/project/file default to the environment's. */
export const EnvNode = z.strictObject({
  host: HostName,
  compose_dir: AbsPath.optional(),
  project: ProjectName.optional(),
  compose_file: ComposeFile.optional(),
  /** Written to this host's `.env` next to the tag (e.g. WORKER_HOSTNAME, KTRDR_API_URL). */
  vars: z.record(envVarName("WORKER_HOSTNAME"), NodeVarValue).default({}),
});
export type EnvNode = z.infer<typeof EnvNode>;

/**
 * A named group of hosts deployed together. Hosts run in parallel, at most `parallel` at once
 * (default: all of them), or one at a time with `rolling: true`. `on_failure` defaults to
 * `rollback_all` for protected environments and `rollback_group` otherwise.
 */
export const NodeGroup = z.strictObject({
  hosts: z.array(EnvNode).min(1, "must list at least one host"),
  parallel: z.number().int().min(1).max(64).optional(),
  rolling: z.boolean().default(false),
  on_failure: z.enum(["rollback_group", "rollback_all", "stop"]).optional(),
  /** This group runs the environment's migration_command (on its first host only). */
  migrate: z.boolean().default(false),
});
export type NodeGroup = z.infer<typeof NodeGroup>;

const ServiceName = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, "must be a compose service name such as web");

/** Zero-downtime deploys: stateless services behind the proxy, and how long the old container drains. */
export const ZeroDowntime = z.strictObject({
  services: z.array(ServiceName).min(1, "must name at least one service such as web"),
  drain: Duration.default(5_000),
});
export type ZeroDowntime = z.infer<typeof ZeroDowntime>;

export const EnvRoute = z.strictObject({
  host: z.string().regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lowercase host name such as app.example.test"),
  service: ServiceName,
  port: z.number().int().min(1).max(65535),
});
export type EnvRoute = z.infer<typeof EnvRoute>;

export const Environment = z.strictObject({
  /** Host name from `hosts`. */
  host: HostName,
  /** Directory on the host with the compose file and `.env`. */
  compose_dir: AbsPath,
  /** Compose project name (`-p`). */
  project: ProjectName,
  compose_file: ComposeFile.default("docker-compose.yml"),
  /** Variable in `<compose_dir>/.env` carrying the image tag; other lines of `.env` are kept as they are. */
  tag_variable: EnvVarName.default("IMAGE_TAG"),
  /** Fetched from the bot's machine after `up -d`; any 2xx/3xx counts as up. */
  health_urls: z.array(HttpUrl).default([]),
  smoke_checks: z.array(SmokeCheck).default([]),
  migration_command: CommandArgv.optional(),
  /** `required`: a failed pull fails the deploy; `optional`: a failed pull is reported and the deploy goes on with local images; `never`: no pull. */
  pull: z.enum(["required", "optional", "never"]).default("required"),
  /** Maximum wait for containers to turn healthy and health URLs to answer. */
  health_timeout: Duration.default(180_000),
  /** Directory on the host for the per-environment `flock` file (`opsdeck-env-<env>.lock`), shared with seeds.
   * Default `~/.opsdeck-locks` of the SSH user, created mode 700; a world-writable one (`/tmp`) is refused. */
  lock_dir: absPath("/srv/locks", { home: true }).default("~/.opsdeck-locks"),
  protected: z.boolean().default(false),
  approval: ApprovalPolicy.default({ approvers: [], required: 1, expiry: 30 * 60_000, emergency_rollback_roles: [] }),
  /** Overrides the default ref pattern (`sha-<7..40 hex>` or a semver tag). */
  ref_pattern: RefPattern.optional(),
  /**
   * Node groups: the environment over several hosts. Without it the environment is one group of
   * one host (`host`, `compose_dir`, `project`). With it, `host` is the primary host: it holds the
   * environment's lock file and serves seeds and backups.
   */
  nodes: z.record(GroupName, NodeGroup).optional(),
  /** The order groups deploy in (default: as listed under nodes). */
  order: z.array(GroupName).optional(),
  /** `rolling`: the `zero_downtime.services` start a second container, the proxy route moves to it, the old one is drained and removed. */
  strategy: z.enum(["recreate", "rolling"]).default("recreate"),
  zero_downtime: ZeroDowntime.optional(),
  /** The proxy route in front of the environment (Caddy `@id opsdeck-env-<env>`), pointed at `service`'s container. */
  route: EnvRoute.optional(),
}).superRefine((env, ctx) => {
  if (env.strategy === "rolling" && !env.zero_downtime) ctx.addIssue({ code: "custom", path: ["zero_downtime"], message: "is needed for strategy: rolling (zero_downtime: { services: [web] })" });
  if (env.strategy === "rolling" && !env.route) ctx.addIssue({ code: "custom", path: ["route"], message: "is needed for strategy: rolling (route: { host: app.example.test, service: web, port: 8080 })" });
  if (env.route && env.zero_downtime && !env.zero_downtime.services.includes(env.route.service)) ctx.addIssue({ code: "custom", path: ["route", "service"], message: `names "${env.route.service}", which is not in zero_downtime.services (${env.zero_downtime.services.join(", ")})` });
  for (const issue of checkNodeGroups(env)) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
});
export type Environment = z.infer<typeof Environment>;

/** Problems of `nodes:` / `order:` within one environment; each names the key. */
function checkNodeGroups(env: { nodes?: Record<string, NodeGroup> | undefined; order?: string[] | undefined; migration_command?: string[] | undefined; tag_variable: string }): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  if (!env.nodes) {
    if (env.order) problems.push({ path: ["order"], message: "needs nodes: (order lists node groups)" });
    return problems;
  }
  const groups = Object.keys(env.nodes);
  if (groups.length === 0) problems.push({ path: ["nodes"], message: "must declare at least one group, or leave nodes out" });
  const order = env.order ?? groups;
  order.forEach((g, i) => {
    if (!groups.includes(g)) problems.push({ path: ["order", i], message: `names group "${g}", which is not declared under nodes (declared: ${groups.join(", ")})` });
    else if (order.indexOf(g) !== i) problems.push({ path: ["order", i], message: `lists group "${g}" twice` });
  });
  for (const g of groups) if (!order.includes(g)) problems.push({ path: ["nodes", g], message: `group "${g}" is missing from order (${order.join(", ")}); add it or remove the group` });
  const seen = new Map<string, string>();
  for (const [g, group] of Object.entries(env.nodes)) {
    group.hosts.forEach((n, i) => {
      const other = seen.get(n.host);
      if (other !== undefined) problems.push({ path: ["nodes", g, "hosts", i, "host"], message: other === g ? `lists host "${n.host}" twice in group ${g}` : `host "${n.host}" is already in group ${other}; a node belongs to one group` });
      else seen.set(n.host, g);
      if (Object.hasOwn(n.vars, env.tag_variable)) problems.push({ path: ["nodes", g, "hosts", i, "vars", env.tag_variable], message: `must not set the tag variable ${env.tag_variable}; the deploy writes it` });
    });
  }
  const migrating = groups.filter((g) => env.nodes?.[g]?.migrate);
  if (migrating.length > 1) problems.push({ path: ["nodes", migrating[1] ?? "", "migrate"], message: `only one group may run the migration (already: ${migrating[0]})` });
  if (env.migration_command && migrating.length === 0) problems.push({ path: ["nodes"], message: "migration_command is set but no group has migrate: true; mark the group that runs it" });
  return problems;
}

/** Words `/deploy` reads as sub-commands cannot name an environment. */
export const RESERVED_ENV_NAMES = ["approve", "reject", "history", "status", "help"];

export const Environments = z
  .record(EnvironmentName.refine((n) => !RESERVED_ENV_NAMES.includes(n), `must not be one of ${RESERVED_ENV_NAMES.join(", ")} (they are /deploy sub-commands)`), Environment)
  .default({});
export type Environments = z.infer<typeof Environments>;

/**
 * Problems with environments that need the rest of the config: each names the key and the fix.
 * The lead calls this from `Config.superRefine`.
 */
export function checkEnvironmentHosts(environments: Environments, hostNames: string[]): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  for (const [name, env] of Object.entries(environments)) {
    if (!hostNames.includes(env.host)) {
      problems.push({ path: ["environments", name, "host"], message: `names host "${env.host}", which is not declared under hosts (declared: ${hostNames.join(", ")})` });
    }
    for (const [g, group] of Object.entries(env.nodes ?? {})) {
      group.hosts.forEach((n, i) => {
        if (!hostNames.includes(n.host)) problems.push({ path: ["environments", name, "nodes", g, "hosts", i, "host"], message: `names host "${n.host}", which is not declared under hosts (declared: ${hostNames.join(", ")})` });
      });
    }
  }
  return problems;
}
