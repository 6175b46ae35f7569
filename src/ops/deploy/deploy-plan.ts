import type { Environment } from "../../config/environments-config.js";
import { quoteArgv } from "../../core/shell-quote.js";
import { oneOffArgs, parseComposeCommand } from "../adapters/compose-command.js";
import { lockFileOf } from "../host-lock.js";

/** Everything a deploy would do, computed without changing anything. */
export interface DeployPlan {
  env: string;
  kind: "deploy" | "rollback";
  host: string;
  composeDir: string;
  envFile: string;
  lockFile: string;
  project: string;
  tagVariable: string;
  currentTag: string | null;
  newTag: string;
  /** Commands as they run on the host (quoted for display), in order. */
  pull: string | null;
  migration: string | null;
  up: string;
  backup: boolean;
  healthUrls: string[];
  smokeChecks: Array<{ url: string; expect_status: number }>;
  healthTimeoutMs: number;
  protected: boolean;
}

/** Compose argv the way the compose client runs it: binary, project, file, then the sub-command. */
export function composeArgv(binary: readonly string[], env: Environment, args: readonly string[]): string[] {
  return [...binary, "-p", env.project, "-f", env.compose_file, ...args];
}

/** A migration command starting with `docker-compose`/`docker compose` runs through the compose client's `oneOff`. */
function composeArgsOf(argv: readonly string[]): string[] | null {
  const oneOff = parseComposeCommand(argv);
  return oneOff ? oneOffArgs(oneOff) : null;
}

export function buildPlan(input: {
  envName: string;
  env: Environment;
  kind: "deploy" | "rollback";
  currentTag: string | null;
  newTag: string;
  composeBinary: readonly string[];
  backup: boolean;
}): DeployPlan {
  const { env } = input;
  const migrationArgs = env.migration_command ? composeArgsOf(env.migration_command) : null;
  const runMigration = input.kind === "deploy" && env.migration_command !== undefined;
  return {
    env: input.envName,
    kind: input.kind,
    host: env.host,
    composeDir: env.compose_dir,
    envFile: `${env.compose_dir}/.env`,
    lockFile: lockFileOf(input.envName, env),
    project: env.project,
    tagVariable: env.tag_variable,
    currentTag: input.currentTag,
    newTag: input.newTag,
    pull: env.pull === "never" ? null : quoteArgv(composeArgv(input.composeBinary, env, ["pull", "-q"])),
    migration: !runMigration || !env.migration_command
      ? null
      : migrationArgs
        ? quoteArgv(composeArgv(input.composeBinary, env, migrationArgs))
        : quoteArgv(["env", `COMPOSE_PROJECT_NAME=${env.project}`, ...env.migration_command]),
    up: quoteArgv(composeArgv(input.composeBinary, env, ["up", "-d", "--remove-orphans"])),
    backup: input.backup,
    healthUrls: env.health_urls,
    smokeChecks: env.smoke_checks,
    healthTimeoutMs: env.health_timeout,
    protected: env.protected,
  };
}

/** The exact plan as reply lines, for `--dry-run` and approval requests. */
export function renderPlan(plan: DeployPlan): string[] {
  const seconds = Math.round(plan.healthTimeoutMs / 1000);
  const steps = [
    `host ${plan.host}, compose project ${plan.project} in ${plan.composeDir}`,
    `tag ${plan.tagVariable}: ${plan.currentTag ?? "(none)"} → ${plan.newTag}`,
    `1. lock: flock -n ${plan.lockFile} (on ${plan.host})`,
    `2. backup: ${plan.backup ? "pre-deploy backup" : "none configured"}`,
    `3. write ${plan.tagVariable}=${plan.newTag} into ${plan.envFile} (other lines kept)`,
    `4. pull: ${plan.pull ?? "skipped (pull: never)"}`,
    `5. migrations: ${plan.migration ?? "none"}`,
    `6. up: ${plan.up} (in ${plan.composeDir})`,
    `7. health: containers of ${plan.project} healthy${plan.healthUrls.length > 0 ? `, then ${plan.healthUrls.join(", ")} answer 2xx/3xx` : ""}, within ${seconds} s`,
    `8. smoke checks: ${plan.smokeChecks.length > 0 ? plan.smokeChecks.map((c) => `GET ${c.url} → ${c.expect_status}`).join("; ") : "none"}`,
    plan.currentTag
      ? `on failure after step 3: roll back to ${plan.currentTag} (write tag, up -d, health wait)`
      : "on failure after step 3: no previous tag to roll back to",
  ];
  return steps;
}
