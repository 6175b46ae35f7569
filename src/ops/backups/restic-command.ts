import type { BackupOffsite } from "../../config/jobs-config.js";
import { OpsError } from "../../core/errors.js";
import type { Secret } from "../../core/secret.js";
import type { ExecResult, HostShell } from "../adapters/host-shell.js";

/**
 * A fixed script: `$1` is a count n, the next n arguments are variable names; it reads one line of
 * stdin per name into that variable, then runs the remaining arguments. Secrets (RESTIC_PASSWORD,
 * AWS keys) travel on stdin only — never on a command line (visible in `ps`) nor in a file.
 */
const WITH_ENV = 'n=$1; shift; while [ "$n" -gt 0 ]; do IFS= read -r v; export "$1=$v"; shift; n=$((n-1)); done; unset v n; exec "$@"';

export interface ResticContext {
  host: HostShell;
  offsite: BackupOffsite;
  readSecret(name: string): Secret | undefined;
  /** `jobs.time_zone`: restic reads `--time` and buckets `forget --keep-daily…` in this zone. */
  zone: string;
}

function value(ctx: ResticContext, variable: string, envName: string): string {
  const s = ctx.readSecret(envName);
  if (!s) throw new OpsError("config", `restic ${variable}: environment variable ${envName} is not set`, `Set ${envName} in opsdeck's environment and restart it.`);
  const v = s.reveal();
  if (/[\r\n\0]/.test(v)) throw new OpsError("config", `environment variable ${envName} (restic ${variable}) contains a line break`, `Set ${envName} to a single line and restart opsdeck.`);
  return v;
}

/** The argv and stdin that run `restic -r <repo> <args>` on the backup host with its secrets in the environment. */
export function resticCommand(ctx: ResticContext, args: readonly string[]): { argv: string[]; stdin: string } {
  const vars: Array<[string, string]> = [["RESTIC_PASSWORD", value(ctx, "password", ctx.offsite.password_env)]];
  for (const [variable, envName] of Object.entries(ctx.offsite.env)) vars.push([variable, value(ctx, variable, envName)]);
  const opts = ctx.offsite.options.flatMap((o) => ["-o", o]);
  const restic = ["env", `TZ=${ctx.zone}`, "restic", "-r", ctx.offsite.repository, ...opts, ...args];
  return { argv: ["sh", "-c", WITH_ENV, "sh", String(vars.length), ...vars.map(([n]) => n), ...restic], stdin: vars.map(([, v]) => `${v}\n`).join("") };
}

/** restic's answer to a wrong password or a repository nobody initialised. */
export function resticProblem(stderr: string): "wrong_password" | "no_repository" | undefined {
  if (/wrong password or no key found/i.test(stderr)) return "wrong_password";
  if (/Is there a repository at the following location|unable to open config file|repository does not exist/i.test(stderr)) return "no_repository";
  return undefined;
}

/** The last lines of restic's stderr (never holds a secret: restic prints none). */
function tail(text: string): string {
  return text.trim().split("\n").slice(-3).join(" / ").slice(0, 400);
}

/** Run restic; a failure becomes an `OpsError` naming what to check (the password's env var, the repository). */
export async function runRestic(ctx: ResticContext, what: string, args: readonly string[], timeoutMs?: number): Promise<ExecResult> {
  const { argv, stdin } = resticCommand(ctx, args);
  const r = await ctx.host.exec(argv, { stdin, allowFailure: true, timeoutMs: timeoutMs ?? ctx.offsite.timeout });
  if (r.code === 0) return r;
  const repo = ctx.offsite.repository;
  const problem = resticProblem(r.stderr);
  if (problem === "wrong_password") {
    throw new OpsError("config", `restic ${what} failed: wrong password for the repository ${repo} (from ${ctx.offsite.password_env})`, `Set ${ctx.offsite.password_env} to the repository's password and restart opsdeck.`);
  }
  if (problem === "no_repository") throw new OpsError("not_found", `restic ${what} failed: there is no restic repository at ${repo}`, "The next pre-backup initialises it; check offsite.repository.");
  throw new OpsError("remote_failed", `restic ${what} failed on ${ctx.host.name} (exit ${r.code}): ${tail(r.stderr)}`, `Check that restic is installed on ${ctx.host.name} and that ${repo} is reachable from it.`);
}
