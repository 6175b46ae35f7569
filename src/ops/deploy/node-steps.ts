import type { Environment } from "../../config/environments-config.js";
import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import type { ComposeClient, ComposeProject } from "../adapters/compose-client.js";
import type { DockerClient } from "../adapters/docker-client.js";
import type { HostShell } from "../adapters/host-shell.js";
import { parseComposeCommand } from "../adapters/compose-command.js";
import { runSmokeChecks, waitContainersHealthy, waitUrlsUp } from "./health-wait.js";
import { pointEnvRoute, rollingUp, type RouteTarget } from "./rolling-up.js";

// A compose `.env` file: read and change one variable, keeping every other line (comments,
// blank lines, other variables, their order) exactly as it was.

const LINE = (name: string): RegExp => new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=(.*)$`);

function unquote(value: string): string {
  const v = value.trim();
  if (v.length >= 2 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'")))) return v.slice(1, -1);
  return v;
}

/** The value of `name` (last assignment wins, as in compose), or `null` when it is not set. */
export function readEnvVar(content: string | null, name: string): string | null {
  if (content === null) return null;
  let found: string | null = null;
  const re = LINE(name);
  for (const line of content.split("\n")) {
    const m = re.exec(line.replace(/\r$/, ""));
    if (m) found = unquote(m[1] ?? "");
  }
  return found === "" ? null : found;
}

/** `content` with `name=value`: the first assignment replaced, later duplicates removed, or a line appended. */
export function setEnvVar(content: string | null, name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error("an .env value must not contain a line break");
  const re = LINE(name);
  const lines = content === null || content === "" ? [] : content.split("\n");
  const trailingNewline = lines.length > 0 && lines[lines.length - 1] === "";
  if (trailingNewline) lines.pop();
  let replaced = false;
  const out: string[] = [];
  for (const line of lines) {
    if (re.test(line.replace(/\r$/, ""))) {
      if (!replaced) out.push(`${name}=${value}`);
      replaced = true;
    } else out.push(line);
  }
  if (!replaced) out.push(`${name}=${value}`);
  return `${out.join("\n")}\n`;
}

/** Keys whose values are treated as secrets: never shown, even inside a container's log tail. */
const SECRET_KEY = /PASS|SECRET|TOKEN|KEY|CREDENTIAL|PRIVATE|DSN|AUTH|COOKIE|SALT/i;

/** Values of secret-looking variables in a `.env`, for the redactor. */
export function secretValuesOf(content: string | null): string[] {
  if (content === null) return [];
  const out: string[] = [];
  for (const raw of content.split("\n")) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$/.exec(raw.replace(/\r$/, ""));
    if (m?.[1] && SECRET_KEY.test(m[1])) {
      const value = unquote(m[2] ?? "");
      if (value.length > 0) out.push(value);
    }
  }
  return out;
}

/** The adapters for one host. */
export interface DeployTarget {
  host: HostShell;
  compose: ComposeClient;
  docker: DockerClient;
}

/**
 * The single-host deploy steps, one function each, for one node: the environment passed in is the
 * node's view of it (its host, compose dir, project). Single-host deploys and node-group deploys
 * both run these.
 */
export interface NodeSteps {
  target: DeployTarget;
  env: Environment;
  redact: Redactor;
  fetchFn: typeof fetch;
  /** The proxy for `environments.<env>.route`; needed by `strategy: rolling`. */
  route?: RouteTarget;
}

export const projectOf = (env: Environment): ComposeProject => ({ name: env.project, dir: env.compose_dir, file: env.compose_file });
const envFileOf = (env: Environment): string => `${env.compose_dir}/.env`;

/** Read `.env`; its secret-looking values go to the redactor first, so no log tail or error can echo them. */
export async function readEnvFile(s: NodeSteps): Promise<string | null> {
  const content = await s.target.host.readFile(envFileOf(s.env));
  for (const value of secretValuesOf(content)) s.redact.add(value);
  return content;
}

export async function readTag(s: NodeSteps): Promise<string | null> {
  return readEnvVar(await readEnvFile(s), s.env.tag_variable);
}

/** Write the tag and the node's vars into `.env` (mode 600), keeping every other line. */
export async function writeTag(s: NodeSteps, tag: string, vars: Record<string, string> = {}): Promise<void> {
  let content = setEnvVar(await readEnvFile(s), s.env.tag_variable, tag);
  for (const [name, value] of Object.entries(vars)) content = setEnvVar(content, name, value);
  await s.target.host.writeFile(envFileOf(s.env), content, 0o600);
}

/** Pull images as `pull:` says; an `optional` pull that fails is reported and skipped. */
export async function pullImages(s: NodeSteps, progress: ProgressFn): Promise<void> {
  if (s.env.pull === "never") return;
  try {
    await s.target.compose.pull(projectOf(s.env));
  } catch (err) {
    if (s.env.pull === "required") throw err;
    await progress(`pull failed, going on with local images (${s.redact((err as Error).message).slice(0, 160)})`);
  }
}

/** The migration command: through the compose client when it starts with docker-compose, else as argv in the compose dir. */
export async function runMigration(s: NodeSteps): Promise<void> {
  const argv = s.env.migration_command;
  if (!argv) return;
  const oneOff = parseComposeCommand(argv);
  if (oneOff) await s.target.compose.oneOff(projectOf(s.env), oneOff);
  else await s.target.host.exec(["env", `COMPOSE_PROJECT_NAME=${s.env.project}`, ...argv], { cwd: s.env.compose_dir });
}

/** `up -d`, then wait for healthy containers and the health URLs. */
export async function bringUp(s: NodeSteps, deadline: number, progress: ProgressFn, step: (name: string) => void = () => undefined): Promise<void> {
  step("up");
  if (s.env.strategy === "rolling") {
    if (!s.route) throw new OpsError("config", "strategy rolling needs the environment's proxy, and none is configured for this deploy", "Configure previews.proxy (driver: caddy) so the environment's host has a Caddy opsdeck drives, or set strategy: recreate.");
    await rollingUp(s, s.route, projectOf(s.env), deadline, progress);
  } else await s.target.compose.up(projectOf(s.env));
  step("health");
  await progress("waiting for containers to turn healthy");
  await waitContainersHealthy(s.target.docker, s.env.project, deadline);
  if (s.env.strategy === "recreate" && s.env.route && s.route) await pointEnvRoute(s, s.route, s.env.route, projectOf(s.env));
  if (s.env.health_urls.length > 0) {
    await progress(`waiting for ${s.env.health_urls.length} health URL(s)`);
    await waitUrlsUp(s.env.health_urls, deadline, s.fetchFn);
  }
}

export async function smokeChecks(s: NodeSteps): Promise<void> {
  if (s.env.smoke_checks.length > 0) await runSmokeChecks(s.env.smoke_checks, s.fetchFn);
}
