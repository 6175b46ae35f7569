import type { Command, ProgressFn, Reply } from "../core/command.js";

/** What the router needs to authorise a command before running it. */
export interface Permission {
  /** The rule key: `preview`, or `preview destroy`. Rules in config may name either. */
  key: string;
  /** Read-only commands are open to every known user. */
  readOnly: boolean;
  /** The environment it acts on, when there is one (for env-scoped rules). */
  env?: string;
}

export interface Handler {
  /** Command name without the slash. */
  readonly name: string;
  /** One line for `/help`. */
  readonly summary: string;
  /** Usage lines, e.g. `/preview <branch> [--ttl 3d] [--sha <commit>]`. */
  readonly usage: string[];
  /** Decide what the command needs; may throw `OpsError("bad_input")` for unparsable args. */
  permission(args: string[]): Permission;
  /** Run it; report long steps through `progress`. Throw `OpsError` for expected failures. */
  run(command: Command, progress: ProgressFn): Promise<Reply>;
}
