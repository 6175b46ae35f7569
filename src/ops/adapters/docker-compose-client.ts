import { HostCommandError, OpsError } from "../../core/errors.js";
import type { ComposeClient, ComposeProject } from "./compose-client.js";
import { oneOffArgs } from "./compose-command.js";
import { tailLines } from "./host-command-failure.js";
import type { ExecOptions, ExecResult, HostShell } from "./host-shell.js";

const PROJECT_NAME = /^[a-z0-9][a-z0-9_-]*$/;
const V2 = ["docker", "compose"] as const;
const V1 = ["docker-compose"] as const;
/**
 * Exit 0 when an executable `docker-compose` is on the PATH (a fixed script, no arguments). When it
 * is a Python script whose interpreter has the standard library's distutils, it also prints
 * `stdlib-distutils`: setuptools' `distutils-precedence.pth` otherwise makes compose's
 * `import distutils` load all of setuptools and pkg_resources, about 0.3 s of every compose v1
 * start (measured on Debian 12: `import compose.cli.main` 0.56-0.78 s, 0.31-0.40 s without the shim).
 */
const V1_LOOKUP = String.raw`p=$(command -v docker-compose) && [ -x "$p" ] || exit 1
i=$(sed -n '1s/^#![[:space:]]*\(\/[^[:space:]]*python[0-9.]*\)[[:space:]]*$/\1/p' "$p" 2>/dev/null)
[ -n "$i" ] && SETUPTOOLS_USE_DISTUTILS=stdlib "$i" -c 'import distutils.spawn, distutils.version' >/dev/null 2>&1 && echo stdlib-distutils
exit 0`;
/** How v1 is run when its interpreter has the stdlib distutils: setuptools' shim left out (see V1_LOOKUP). */
const V1_STDLIB_DISTUTILS = ["env", "SETUPTOOLS_USE_DISTUTILS=stdlib", "docker-compose"] as const;

/** The compose command as shown (`bin`) and as run (`argv`: `bin`, or v1 behind an env prefix). */
interface Detected {
  bin: readonly string[];
  argv: readonly string[];
}

function checkProject(project: ComposeProject): string {
  if (!PROJECT_NAME.test(project.name) || project.name.length > 63) {
    throw new OpsError("bad_input", `compose project name "${project.name.slice(0, 64)}" is not allowed`, "Use lowercase letters, digits, '-' and '_', starting with a letter or digit.");
  }
  const file = project.file ?? "docker-compose.yml";
  if (file === "" || file.includes("/") || file.includes("\0") || file === "." || file === ".." || file.startsWith("-")) {
    throw new OpsError("bad_input", `compose file name "${file.slice(0, 64)}" is not allowed`, "Give a plain file name inside the project directory, e.g. docker-compose.yml.");
  }
  if (!project.dir.startsWith("/") && !project.dir.startsWith("~/")) {
    throw new OpsError("bad_input", `compose project directory "${project.dir.slice(0, 200)}" is not absolute`, "Give the project directory as an absolute path.");
  }
  return file;
}

const SERVICE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

function checkServices(services: readonly string[]): readonly string[] {
  for (const s of services) {
    if (!SERVICE_NAME.test(s)) {
      throw new OpsError("bad_input", `compose service name "${s.slice(0, 64)}" is not allowed`, "Use a service name from the compose file (letters, digits, '.', '-', '_').");
    }
  }
  return services;
}

/**
 * Docker Compose through a host shell. Detects `docker compose` (v2) or `docker-compose` (v1)
 * once per client. Compose v1 writes its progress to stderr, so only the exit code decides
 * success. Every call runs in the project directory with explicit `-p` and `-f`.
 */
export function createComposeClient(host: HostShell): ComposeClient {
  let detected: Promise<Detected> | null = null;

  function binary(): Promise<Detected> {
    if (detected === null) {
      detected = detect().catch((e: unknown) => {
        detected = null;
        throw e;
      });
    }
    return detected;
  }

  async function detect(): Promise<Detected> {
    const v2 = await host.exec([...V2, "version"], { allowFailure: true }).catch(() => null);
    if (v2 && v2.code === 0) return { bin: V2, argv: V2 };
    // v1 is looked up on the PATH, not run: `docker-compose version` is a whole Python start (about
    // a second, several on a loaded host) on the first deploy. A broken install fails at its first
    // real command instead, with compose's own message.
    const v1 = await host.exec(["sh", "-c", V1_LOOKUP], { allowFailure: true }).catch(() => null);
    if (v1 && v1.code === 0) return { bin: V1, argv: v1.stdout.trim() === "stdlib-distutils" ? V1_STDLIB_DISTUTILS : V1 };
    throw new OpsError("remote_failed", `${host.name}: neither \`docker compose\` nor \`docker-compose\` works on the host`, "Install Docker Compose on the host (the docker-compose-plugin package, or docker-compose).");
  }

  /** The one place a compose argv is put together; not exposed, callers use the named methods. */
  async function compose(project: ComposeProject, args: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
    const file = checkProject(project);
    const { bin, argv } = await binary();
    try {
      return await host.exec([...argv, "-p", project.name, "-f", file, ...args], { ...options, cwd: project.dir });
    } catch (e) {
      // Name the compose sub-command, not just `docker-compose -p`.
      if (e instanceof HostCommandError && e.code === "remote_failed") {
        const sub = args[0] ?? "";
        throw new HostCommandError(
          `${host.name}: \`${bin.join(" ")} ${sub}\` for project ${project.name} failed${e.exitCode === null ? "" : ` (exit code ${e.exitCode})`}${lastLine(e.stderr)}`,
          e.exitCode,
          e.stderr,
          e.exitCode === null ? e.nextStep : "Read compose's output in the details; run the same compose command in the project directory on the host to reproduce it.",
          { cause: e },
        );
      }
      throw e;
    }
  }

  return {
    host,
    binary: async () => (await binary()).bin,
    async validate(project) {
      const r = await compose(project, ["config", "-q"], { allowFailure: true });
      if (r.code === 0) return;
      // `config -q` prints only errors, never the interpolated values from `.env`.
      const message = tailLines(r.stderr, 10) || tailLines(r.stdout, 10) || `exit code ${r.code}`;
      throw new OpsError("bad_input", `the compose file of ${project.name} is invalid: ${message}`, "Fix the compose template (and its variables) and try again.", { details: message });
    },
    async services(project) {
      const r = await compose(project, ["config", "--services"]);
      return r.stdout.split("\n").map((l) => l.trim()).filter((l) => SERVICE_NAME.test(l));
    },
    async pull(project, options = {}) {
      const { quiet = true, ...exec } = options;
      await compose(project, ["pull", ...(quiet ? ["-q"] : [])], exec);
    },
    async up(project, options = {}) {
      const { services, scale, noRecreate, noDeps, ...exec } = options;
      const scaleArgs = Object.entries(scale ?? {}).flatMap(([svc, n]) => {
        if (!Number.isInteger(n) || n < 0 || n > 100) throw new OpsError("bad_input", `compose scale ${n} for ${svc.slice(0, 64)} is not allowed`, "Give a whole number from 0 to 100.");
        return ["--scale", `${checkServices([svc])[0]}=${n}`];
      });
      await compose(project, ["up", "-d", "--remove-orphans", ...(noRecreate ? ["--no-recreate"] : []), ...(noDeps ? ["--no-deps"] : []), ...scaleArgs, ...checkServices(services ?? [])], exec);
    },
    async down(project, options = {}) {
      const { volumes, timeoutSeconds, ...exec } = options;
      const t = timeoutSeconds === undefined ? [] : ["-t", String(Math.max(0, Math.min(3600, Math.ceil(timeoutSeconds))))];
      // `down` on a project with nothing running exits 0 in v1 and v2.
      await compose(project, ["down", ...(volumes ? ["-v", "--remove-orphans"] : []), ...t], exec);
    },
    async logs(project, lines, service) {
      const n = Math.max(1, Math.min(10_000, Math.floor(lines)));
      const r = await compose(project, ["logs", "--no-color", `--tail=${n}`, ...(service ? checkServices([service]) : [])]);
      return r.stdout;
    },
    async ps(project, options = {}) {
      const r = await compose(project, ["ps", "-q", ...checkServices(options.services ?? [])]);
      return r.stdout.split("\n").map((l) => l.trim()).filter((l) => /^[0-9a-f]{12,64}$/.test(l));
    },
    async stop(project, options) {
      const { services, ...exec } = options;
      await compose(project, ["stop", ...checkServices(services)], exec);
    },
    async start(project, options) {
      const { services, ...exec } = options;
      await compose(project, ["start", ...checkServices(services)], exec);
    },
    async oneOff(project, options) {
      const { kind, service, command, remove, noDeps, noTty, ...exec } = options;
      checkServices([service]);
      return compose(project, oneOffArgs({ kind, service, command, ...(remove ? { remove } : {}), ...(noDeps ? { noDeps } : {}), ...(noTty ? { noTty } : {}) }), exec);
    },
  };
}

function lastLine(stderr: string): string {
  const last = stderr.split("\n").pop()?.trim().slice(0, 200);
  return last ? `: ${last}` : "";
}
