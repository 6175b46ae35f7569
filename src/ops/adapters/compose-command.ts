import { OpsError } from "../../core/errors.js";

/** A one-off command in a service container: `compose run` (a new container) or `compose exec` (the running one). */
export interface ComposeOneOff {
  kind: "run" | "exec";
  service: string;
  command: string[];
  /** `run --rm`: remove the container afterwards. */
  remove?: boolean;
  /** `run --no-deps`: do not start linked services. */
  noDeps?: boolean;
  /** `-T`: no pseudo-TTY. */
  noTty?: boolean;
}

const FLAGS = {
  run: { "--rm": "remove", "--no-deps": "noDeps", "-T": "noTty" },
  exec: { "-T": "noTty" },
} as const;

/** The compose arguments of a one-off, after `-p`/`-f`: `run --rm app migrate`. */
export function oneOffArgs(step: ComposeOneOff): string[] {
  const flags = Object.entries(FLAGS[step.kind]).filter(([, key]) => step[key] === true).map(([flag]) => flag);
  return [step.kind, ...flags, step.service, ...step.command];
}

/**
 * A configured command (`migration_command`) that starts with `docker-compose` / `docker compose`,
 * as a typed one-off; null for any other command (it runs on the host as it is). Only `run` and
 * `exec` with `--rm`, `--no-deps` and `-T` are accepted: anything else is refused with the fix.
 */
export function parseComposeCommand(argv: readonly string[], key = "migration_command"): ComposeOneOff | null {
  const rest = argv[0] === "docker-compose" ? argv.slice(1) : argv[0] === "docker" && argv[1] === "compose" ? argv.slice(2) : null;
  if (rest === null) return null;
  const refuse = (why: string): never => {
    throw new OpsError("bad_input", `${key} [${argv.join(", ").slice(0, 200)}]: ${why}`, `Write it as [docker-compose, run, --rm, <service>, <command>…] or [docker-compose, exec, -T, <service>, <command>…].`);
  };
  const kind = rest[0];
  if (kind !== "run" && kind !== "exec") return refuse(`compose sub-command "${String(kind).slice(0, 32)}" is not supported (run or exec)`);
  const known = Object.keys(FLAGS[kind]);
  const flags = new Set<string>();
  let i = 1;
  for (; i < rest.length && (rest[i] ?? "").startsWith("-"); i++) {
    const flag = rest[i] ?? "";
    if (!known.includes(flag)) return refuse(`option ${flag.slice(0, 32)} of compose ${kind} is not supported`);
    flags.add(flag);
  }
  const service = rest[i];
  if (service === undefined) return refuse("no service named");
  return {
    kind,
    service,
    command: rest.slice(i + 1),
    ...(flags.has("--rm") ? { remove: true } : {}),
    ...(flags.has("--no-deps") ? { noDeps: true } : {}),
    ...(flags.has("-T") ? { noTty: true } : {}),
  };
}
