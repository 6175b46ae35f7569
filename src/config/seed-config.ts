import { z } from "zod";
import { absPath, envVarName, HostName } from "./common-schemas.js";
import { CommandArgv, EnvironmentName, SmokeCheck, type Environments } from "./environments-config.js";
import { Duration } from "./duration.js";
import { ownValue } from "../core/own-value.js";

/**
 * `seed:` (per target environment: where its data comes from and how it is anonymised) and
 * `runbooks:` (named, ordered steps run on configured hosts). The lead merges `Seeds` and
 * `Runbooks` into `Config` and calls `checkSeedConfig` from its `superRefine`.
 */

const EnvVarName = envVarName("PREPROD_DB_PASSWORD");
const AbsPath = absPath("/srv/seed");

/**
 * A table, column or database name. Only plain lowercase identifiers are accepted; they are
 * still written as quoted SQL identifiers, so nothing in them is ever read as SQL.
 */
export const SqlIdentifier = z
  .string()
  .max(63, "must be at most 63 characters (PostgreSQL's identifier limit)")
  .regex(/^[a-z_][a-z0-9_]*$/, "must be a lowercase SQL identifier such as credentials (letters, digits, _; not starting with a digit)");

/** Literal values written into the anonymisation SQL: printable text only. */
const SqlValue = z.string().max(500).regex(/^[^\u0000-\u001f\u007f]*$/, "must be printable text without control characters");

export const AnonymiseRule = z
  .strictObject({
    table: SqlIdentifier,
    column: SqlIdentifier,
    /** `redact` → the seed's marker, `prefix` → value + old text, `replace` → value, `null` → NULL. */
    rule: z.enum(["redact", "prefix", "replace", "null"]),
    value: SqlValue.optional(),
  })
  .superRefine((r, ctx) => {
    if (r.rule === "replace" && r.value === undefined) ctx.addIssue({ code: "custom", path: ["value"], message: "is required for rule replace (e.g. value: user@example.invalid)" });
    if (r.rule === "prefix" && r.value === "") ctx.addIssue({ code: "custom", path: ["value"], message: "must not be empty for rule prefix (e.g. value: test-)" });
    if ((r.rule === "redact" || r.rule === "null") && r.value !== undefined) {
      ctx.addIssue({ code: "custom", path: ["value"], message: `is not used by rule ${r.rule}; remove it (redact writes the seed's marker)` });
    }
  });
export type AnonymiseRule = z.infer<typeof AnonymiseRule>;

export const SeedDatabase = z.strictObject({
  /** Database on the target that is replaced. */
  name: SqlIdentifier,
  /** Database name in the source environment's dumps (`<seed_dir>/<source_name>-latest.dump`); default `name`. */
  source_name: SqlIdentifier.optional(),
  /** PostgreSQL address as seen from the target host. */
  host: z.string().regex(/^[A-Za-z0-9.:-]+$/, "must be a host name or IP address such as 127.0.0.1").default("127.0.0.1"),
  port: z.number().int().min(1).max(65535).default(5432),
  user: z.string().regex(/^[a-z_][a-z0-9_-]{0,62}$/, "must be a PostgreSQL role name such as app"),
  /** Environment variable holding the password; it reaches the host only in a temporary .pgpass (mode 600). */
  password_env: EnvVarName.optional(),
});
export type SeedDatabase = z.infer<typeof SeedDatabase>;

export const AppServices = z.strictObject({
  compose_dir: AbsPath,
  project: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, "must be a compose project name such as shop-preprod"),
  compose_file: z.string().regex(/^[A-Za-z0-9._-]{1,100}$/, "must be a file name inside compose_dir such as docker-compose.yml").default("docker-compose.yml"),
  /** Services to stop and start; empty means all services of the project. */
  services: z.array(z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,62}$/, "must be a compose service name such as web")).default([]),
});
export type AppServices = z.infer<typeof AppServices>;

export const Seed = z
  .strictObject({
    /** The environment whose latest dumps are used (its pre-backup fills `seed_dir`). */
    source_env: EnvironmentName,
    /** Host holding `seed_dir`. */
    source_host: HostName,
    /** Directory on the source host with `<db>-latest.dump` files (pg_dump custom format). */
    seed_dir: AbsPath,
    /** Host the target environment's databases are restored from. */
    target_host: HostName,
    /** Directory on the target host the dumps are copied to; default `<seed_dir>/incoming`. */
    target_dir: AbsPath.optional(),
    /** Directory of `pg_restore` and `psql` on the target host; default: whatever is on PATH. */
    pg_bin: AbsPath.optional(),
    databases: z.array(SeedDatabase).min(1, "must list at least one database to seed"),
    app_services: AppServices.optional(),
    /** Database name (as in `databases[].name`) → rules applied after the restore, in order. */
    anonymise: z.record(SqlIdentifier, z.array(AnonymiseRule)).default({}),
    /** What `redact` writes. */
    marker: SqlValue.min(1).default("[redacted]"),
    smoke_checks: z.array(SmokeCheck).default([]),
    /** Directory on the target host for the per-environment `flock` file; when the env is also a deploy
     * environment, its `environments.<env>.lock_dir` is used instead so seeds and deploys exclude each other. */
    lock_dir: absPath("/srv/locks", { home: true }).default("~/.opsdeck-locks"),
    /** Limit for each restore or anonymisation command. */
    timeout: Duration.default(60 * 60_000),
  })
  .superRefine((seed, ctx) => {
    const names = seed.databases.map((d) => d.name);
    for (const db of Object.keys(seed.anonymise)) {
      if (!names.includes(db)) ctx.addIssue({ code: "custom", path: ["anonymise", db], message: `names database "${db}", which is not listed under databases (listed: ${names.join(", ")})` });
    }
    const dupes = names.filter((n, i) => names.indexOf(n) !== i);
    if (dupes.length > 0) ctx.addIssue({ code: "custom", path: ["databases"], message: `lists ${dupes.join(", ")} more than once` });
  });
export type Seed = z.infer<typeof Seed>;

/** Target environment name → how to seed it. */
export const Seeds = z.record(EnvironmentName, Seed).default({});
export type Seeds = z.infer<typeof Seeds>;

const StepName = z.string().regex(/^[a-z0-9-]{1,63}$/, "must be lowercase letters, digits and dashes such as restart-web");

export const RunbookStep = z.strictObject({
  name: StepName,
  host: HostName,
  /** argv array, never a shell string: `[systemctl, restart, nginx]`. */
  command: CommandArgv,
  description: z.string().max(500).default(""),
  /** Dangerous steps wait for a confirmation button. */
  confirm: z.boolean().default(false),
  timeout: Duration.default(5 * 60_000),
});
export type RunbookStep = z.infer<typeof RunbookStep>;

export const Runbook = z
  .strictObject({
    description: z.string().max(500).default(""),
    steps: z.array(RunbookStep).min(1, "must have at least one step"),
  })
  .superRefine((rb, ctx) => {
    const names = rb.steps.map((s) => s.name);
    const dupes = names.filter((n, i) => names.indexOf(n) !== i);
    if (dupes.length > 0) ctx.addIssue({ code: "custom", path: ["steps"], message: `step names must be unique; repeated: ${dupes.join(", ")}` });
    // A step named like a number would be ambiguous with `/runbook run <name> <n>`.
    for (const n of names) if (/^\d+$/.test(n)) ctx.addIssue({ code: "custom", path: ["steps"], message: `step name "${n}" must not be only digits (steps are also addressed by number)` });
  });
export type Runbook = z.infer<typeof Runbook>;

export const Runbooks = z.record(z.string().regex(/^[a-z0-9-]{1,63}$/, "must be lowercase letters, digits and dashes such as db-failover"), Runbook).default({});
export type Runbooks = z.infer<typeof Runbooks>;

/**
 * Problems with `seed:` and `runbooks:` that need the rest of the config; each names the key and
 * the fix. A seed may never target a protected environment: that is refused here at start and
 * again at run time.
 */
export function checkSeedConfig(seeds: Seeds, runbooks: Runbooks, environments: Environments, hostNames: string[]): Array<{ path: PropertyKey[]; message: string }> {
  const problems: Array<{ path: PropertyKey[]; message: string }> = [];
  const envNames = Object.keys(environments);
  const hostProblem = (path: PropertyKey[], host: string): void => {
    if (!hostNames.includes(host)) problems.push({ path, message: `names host "${host}", which is not declared under hosts (declared: ${hostNames.join(", ")})` });
  };
  for (const [target, seed] of Object.entries(seeds)) {
    const env = ownValue(environments, target);
    if (!env) problems.push({ path: ["seed", target], message: `seeds environment "${target}", which is not declared under environments (declared: ${envNames.join(", ") || "none"})` });
    else if (env.protected) problems.push({ path: ["seed", target], message: `environment "${target}" is protected and can never be seeded; remove this entry` });
    if (!ownValue(environments, seed.source_env)) problems.push({ path: ["seed", target, "source_env"], message: `names environment "${seed.source_env}", which is not declared under environments (declared: ${envNames.join(", ") || "none"})` });
    if (seed.source_env === target) problems.push({ path: ["seed", target, "source_env"], message: "must differ from the environment being seeded" });
    hostProblem(["seed", target, "source_host"], seed.source_host);
    hostProblem(["seed", target, "target_host"], seed.target_host);
  }
  for (const [name, rb] of Object.entries(runbooks)) {
    rb.steps.forEach((s, i) => hostProblem(["runbooks", name, "steps", i, "host"], s.host));
  }
  return problems;
}
