export type OpsErrorCode =
  | "bad_input"
  | "unknown_command"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "quota"
  | "resources"
  | "busy"
  | "remote_failed"
  | "timeout"
  | "health_failed"
  | "config"
  | "state"
  | "external_api";

/**
 * An expected failure with a message a human can act on. The router turns it into a
 * `failure` reply; anything else is logged and answered with a generic message.
 * Never put a secret into `message` or `nextStep`.
 */
export class OpsError extends Error {
  constructor(
    readonly code: OpsErrorCode,
    message: string,
    readonly nextStep: string,
    options?: ErrorOptions & { details?: string },
  ) {
    super(message, options);
    this.name = "OpsError";
    this.details = options?.details;
  }
  /** Extra preformatted text for the reply (e.g. a redacted log tail). */
  readonly details: string | undefined;
}

/** A remote or local command exited non-zero, timed out or could not start. */
export class HostCommandError extends OpsError {
  constructor(
    message: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    nextStep = "Check the host is reachable and the command works there by hand.",
    options?: ErrorOptions,
  ) {
    super("remote_failed", message, nextStep, options);
    this.name = "HostCommandError";
  }
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

export class StateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StateError";
  }
}
