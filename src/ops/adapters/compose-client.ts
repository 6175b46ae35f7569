import type { ComposeOneOff } from "./compose-command.js";
import type { ExecOptions, ExecResult, HostShell } from "./host-shell.js";

/** A compose project on a host: a directory holding `docker-compose.yml` (and `.env`). */
export interface ComposeProject {
  /** Project name (`-p`), e.g. `preview-feature-x`. Must match `^[a-z0-9][a-z0-9_-]*$`. */
  name: string;
  /** Directory on the host with the compose file; compose runs with this as its working dir. */
  dir: string;
  /** Compose file name inside `dir`; default `docker-compose.yml`. */
  file?: string;
}

/** `compose run` / `compose exec` of one command in a service (see `parseComposeCommand`). */
export type OneOffOptions = ExecOptions & ComposeOneOff;

/**
 * Docker Compose through the host shell: `docker compose` (v2) when the host has it, else
 * `docker-compose` (v1). One named method per sub-command opsdeck uses, with typed options:
 * there is no catch-all, so every compose argv is built (and checked) in the adapter.
 */
export interface ComposeClient {
  readonly host: HostShell;
  /** Which binary was detected: `["docker","compose"]` or `["docker-compose"]`. */
  binary(): Promise<readonly string[]>;
  /** `config -q`: validates the file and its interpolation; throws with compose's message. */
  validate(project: ComposeProject): Promise<void>;
  /** `config --services`: the names of the services the compose file defines (names only, never values). */
  services(project: ComposeProject): Promise<string[]>;
  /** `pull` (`-q` unless `quiet: false`). */
  pull(project: ComposeProject, options?: ExecOptions & { quiet?: boolean }): Promise<void>;
  /**
   * `up -d --remove-orphans` of every service, or only `services`; `scale` adds `--scale <svc>=<n>`,
   * `noRecreate` adds `--no-recreate` (a rolling deploy's second container next to the old one),
   * `noDeps` adds `--no-deps` (leave the services' dependencies alone).
   */
  up(project: ComposeProject, options?: ExecOptions & { services?: string[]; scale?: Record<string, number>; noRecreate?: boolean; noDeps?: boolean }): Promise<void>;
  /**
   * `down`; with `volumes`, `-v --remove-orphans`; `timeoutSeconds` is `-t` (how long containers
   * get to stop). Succeeds when nothing is up.
   */
  down(project: ComposeProject, options?: ExecOptions & { volumes?: boolean; timeoutSeconds?: number }): Promise<void>;
  /** Last `lines` of logs for all services (or one). */
  logs(project: ComposeProject, lines: number, service?: string): Promise<string>;
  /** `ps -q`: ids of the project's containers (of `services` only, when given). */
  ps(project: ComposeProject, options?: { services?: string[] }): Promise<string[]>;
  /** `stop` the given services (the containers stay, with their data). */
  stop(project: ComposeProject, options: ExecOptions & { services: string[] }): Promise<void>;
  /** `start` the given services' existing containers. */
  start(project: ComposeProject, options: ExecOptions & { services: string[] }): Promise<void>;
  /** `run` (or `exec`) one command in a service; throws when it exits non-zero unless `allowFailure`. */
  oneOff(project: ComposeProject, options: OneOffOptions): Promise<ExecResult>;
}
