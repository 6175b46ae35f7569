import { HostCommandError, type OpsErrorCode } from "../../core/errors.js";
import type { ExecResult } from "./host-shell.js";

/** Lines of stderr kept on a failed command: enough to see the cause, short enough for a reply. */
export const STDERR_TAIL_LINES = 20;

/**
 * A short name for a command in error messages: the program and its sub-command only
 * (`docker ps`, `mkdir`): the first argument only when it is a plain word. Full argument lists can be long and may name files a user
 * should not see in a reply, so they never go into a message.
 */
export function describeCommand(argv: readonly string[]): string {
  const program = (argv[0] ?? "").split("/").pop() ?? "";
  const sub = argv[1];
  return sub !== undefined && /^[a-z][a-z0-9_-]{0,30}$/.test(sub) ? `${program} ${sub}` : program;
}

/** The last `lines` non-empty lines of `text`. */
export function tailLines(text: string, lines = STDERR_TAIL_LINES): string {
  const all = text.split(/\r?\n/).filter((l) => l.trim() !== "");
  return all.slice(-lines).join("\n");
}

/** The error for a command that ran and exited non-zero (or was killed by a signal). */
export function commandFailedError(host: string, argv: readonly string[], result: ExecResult, signal?: string | null): HostCommandError {
  const tail = tailLines(result.stderr);
  const last = tail.split("\n").pop()?.slice(0, 200) ?? "";
  const how = signal ? `was killed by signal ${signal}` : `exited with code ${result.code}`;
  return new HostCommandError(
    `${host}: \`${describeCommand(argv)}\` ${how}${last ? `: ${last}` : ""}`,
    signal ? null : result.code,
    tail,
    "Read the error output in the details; run the command on the host by hand to reproduce it.",
  );
}

/** A command that did not finish within its timeout; it was killed. `code` is `timeout`. */
export class HostCommandTimeoutError extends HostCommandError {
  override readonly code: OpsErrorCode = "timeout";
  constructor(host: string, argv: readonly string[], timeoutMs: number, stderr: string) {
    super(
      `${host}: \`${describeCommand(argv)}\` timed out after ${timeoutMs} ms and was killed`,
      null,
      tailLines(stderr),
      "Check what the command waits for on the host (network, locks, a full disk), or raise the host's command_timeout.",
    );
    this.name = "HostCommandTimeoutError";
  }
}

/** The command could not be started or its connection broke while it ran. */
export function commandNotRunError(
  host: string,
  argv: readonly string[],
  reason: string,
  cause?: unknown,
  nextStep = "Check the host is reachable (ssh to it by hand) and try again; the command may or may not have run.",
): HostCommandError {
  return new HostCommandError(`${host}: \`${describeCommand(argv)}\` could not run: ${reason}`, null, "", nextStep, cause === undefined ? undefined : { cause });
}
