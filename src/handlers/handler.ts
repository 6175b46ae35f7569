import type { Command, Permission, ProgressFn, Reply } from "../core/command.js";
import type { ArgsCommandSpec, CommandSpec } from "../core/command-spec.js";

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

export interface ParsedHandlerDefinition<P, R = P> {
  /**
   * Checks against this config (known environment, runbook, database) after the declaration's
   * schema, before authorisation; may narrow the value (resolve a name). Throws `OpsError`.
   */
  check?(parsed: P): R;
  permission(parsed: R): Permission;
  run(command: Command, progress: ProgressFn, parsed: R): Promise<Reply>;
}

/**
 * A handler from its declaration: the arguments are parsed once with the declaration's schema
 * (`spec.args`, which also renders the usage lines), then `check`ed; permission and run both
 * work from that value, so what is authorised is exactly what runs.
 */
export function defineParsedHandler<P, R = P>(spec: ArgsCommandSpec<P>, def: ParsedHandlerDefinition<P, R>): Handler {
  const prepare = (args: string[]): PreparedCommand => {
    const value = spec.args.parse(args);
    const parsed = def.check ? def.check(value) : (value as unknown as R); // R defaults to P when there is no check
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
