import type { Command, Permission, ProgressFn, Reply } from "../core/command.js";
import type { CommandSpec } from "../core/command-spec.js";
import { refuseRepeatedFlags } from "./parse-flags.js";

export type { Permission };

/** A command whose arguments were parsed once: its permission and its run read the same value. */
export interface PreparedCommand {
  permission: Permission;
  run(command: Command, progress: ProgressFn): Promise<Reply>;
}

export interface Handler {
  /** Command name without the slash. */
  readonly name: string;
  /** One line for `/help`. */
  readonly summary: string;
  /** Usage lines, e.g. `/preview <branch> [--ttl 3d] [--sha <commit>]`. */
  readonly usage: readonly string[];
  /** The declaration it was built from (registered handlers; test fixtures may have none). */
  readonly spec?: CommandSpec;
  /**
   * Parse the arguments once; throws `OpsError("bad_input")` for anything unparsable. The router
   * authorises `permission` and then calls `run`, which works from the same parsed value.
   */
  prepare(args: string[]): PreparedCommand;
  /** `prepare(args).permission`, for callers that only ask. */
  permission(args: string[]): Permission;
  /** `prepare(command.args).run(…)`, for callers that wrap handlers. */
  run(command: Command, progress: ProgressFn): Promise<Reply>;
}

export interface ParsedHandlerDefinition<P> {
  /** Parse and validate the arguments; throw `OpsError("bad_input")` for anything unparsable. */
  parse(args: string[]): P;
  permission(parsed: P): Permission;
  run(command: Command, progress: ProgressFn, parsed: P): Promise<Reply>;
}

/**
 * A handler from its declaration and one parse: permission and run both work from the value
 * `parse` returned, so what is authorised is exactly what runs. A flag given twice is refused
 * for every handler before `parse` sees it.
 */
export function defineParsedHandler<P>(spec: CommandSpec, def: ParsedHandlerDefinition<P>): Handler {
  const prepare = (args: string[]): PreparedCommand => {
    refuseRepeatedFlags(args);
    const parsed = def.parse(args);
    return { permission: def.permission(parsed), run: (command, progress) => def.run(command, progress, parsed) };
  };
  return {
    name: spec.name,
    summary: spec.summary,
    usage: spec.usage,
    spec,
    prepare,
    permission: (args) => prepare(args).permission,
    run: (command, progress) => prepare(command.args).run(command, progress),
  };
}
