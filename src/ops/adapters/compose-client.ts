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

/**
 * Docker Compose through the host shell: `docker compose` (v2) when the host has it, else
 * `docker-compose` (v1). Every call is an argv array; nothing is interpolated by a shell.
 */
export interface ComposeClient {
  readonly host: HostShell;
  /** Which binary was detected: `["docker","compose"]` or `["docker-compose"]`. */
  binary(): Promise<readonly string[]>;
  /** Run any compose sub-command for the project, e.g. `["ps", "-q"]`. */
  run(project: ComposeProject, args: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  /** `config -q`: validates the file and its interpolation; throws with compose's message. */
  validate(project: ComposeProject): Promise<void>;
  pull(project: ComposeProject, options?: ExecOptions): Promise<void>;
  up(project: ComposeProject, options?: ExecOptions & { services?: string[] }): Promise<void>;
  /** `down` with `-v --remove-orphans` when `volumes` is true. Succeeds when nothing is up. */
  down(project: ComposeProject, options?: ExecOptions & { volumes?: boolean }): Promise<void>;
  /** Last `lines` of logs for all services (or one). */
  logs(project: ComposeProject, lines: number, service?: string): Promise<string>;
}
