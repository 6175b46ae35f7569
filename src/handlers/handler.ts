import type { Command, Permission, ProgressFn, Reply } from "../core/command.js";

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
  readonly usage: string[];
  /** Decide what the command needs; may throw `OpsError("bad_input")` for unparsable args. */
  permission(args: string[]): Permission;
  /** Run it; report long steps through `progress`. Throw `OpsError` for expected failures. */
  run(command: Command, progress: ProgressFn): Promise<Reply>;
  /**
   * Parse the arguments once (handlers built with `defineParsedHandler`). The router prefers it
   * over `permission` + `run`, so what is authorised is exactly what runs.
   */
  prepare?(args: string[]): PreparedCommand;
}

export interface ParsedHandlerDefinition<P> {
  readonly name: string;
  readonly summary: string;
  readonly usage: string[];
  /** Parse and validate the arguments; throw `OpsError("bad_input")` for anything unparsable. */
  parse(args: string[]): P;
  permission(parsed: P): Permission;
  run(command: Command, progress: ProgressFn, parsed: P): Promise<Reply>;
}

/**
 * A handler whose permission and run both work from one parsed value. A stopgap until the
 * command registry parses for every handler; `permission(args)` and `run(command)` stay for
 * callers that wrap handlers, and go through the same `parse`.
 */
export function defineParsedHandler<P>(def: ParsedHandlerDefinition<P>): Handler {
  const prepare = (args: string[]): PreparedCommand => {
    const parsed = def.parse(args);
    return { permission: def.permission(parsed), run: (command, progress) => def.run(command, progress, parsed) };
  };
  return {
    name: def.name,
    summary: def.summary,
    usage: def.usage,
    prepare,
    permission: (args) => prepare(args).permission,
    run: (command, progress) => prepare(command.args).run(command, progress),
  };
}
