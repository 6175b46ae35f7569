import { defineArgs, type ArgsOutput, type CommandArgs, type CommandArgsDecl, type Variant } from "./command-args.js";

/**
 * What a chat command declares about itself, once. `/help`, the router's nearest-command
 * suggestion, the Discord and Telegram command lists and the Slack manifest are all built from
 * these declarations (the list is `src/handlers/registry.ts`). A command's usage lines, its
 * sub-commands and its parser all come from one argument declaration (`args`, built with
 * `defineArgs` in `command-args.ts`), so none of them can show usage the parser refuses;
 * `test/core/command-registry.test.ts` still feeds every usage line to the parser.
 */
export interface CommandSpec {
  /** Command name without the slash. */
  readonly name: string;
  /** One line for `/help` and the platforms' command lists. */
  readonly summary: string;
  /** Sub-commands, in the order of `usage` (empty for commands without any). */
  readonly subcommands: readonly string[];
  /** Usage lines, e.g. `/preview <branch> [--ttl 3d] [--sha <commit>]`. */
  readonly usage: readonly string[];
  /**
   * The config section that turns the command on. When the app has no handler for the command,
   * the router answers "not configured here: add `<section>:`" instead of "unknown command".
   */
  readonly section?: string;
  /** Other names the router accepts for it (Slack registers help as `/opsdeck`). */
  readonly aliases?: readonly string[];
  /** The argument declaration `usage` and `subcommands` were rendered from (every command but `/help`). */
  readonly args?: CommandArgs<unknown>;
}

/** A declaration with its arguments: `usage` and `subcommands` are rendered from `args`. */
export interface ArgsCommandSpec<P> extends CommandSpec {
  readonly args: CommandArgs<P>;
}

/** A command's declaration from its name, summary, section and argument variants. */
export function defineCommand<V extends Omit<Variant<unknown>, "usage">>(decl: { name: string; summary: string; section?: string } & CommandArgsDecl<V>): ArgsCommandSpec<ArgsOutput<V>> {
  const args = defineArgs(decl.name, decl);
  return { name: decl.name, summary: decl.summary, ...(decl.section !== undefined ? { section: decl.section } : {}), subcommands: args.subcommands, usage: args.usage, args };
}

/** The usage lines without the command itself, joined: `list | destroy <branch>` (Slack's usage hint, Discord's option text). */
export function usageHint(spec: CommandSpec): string {
  return spec.usage
    .map((u) => u.replace(new RegExp(`^/${spec.name}\\s*`), ""))
    .filter((u) => u !== "")
    .join(" | ");
}

/** The sentence the router answers for a declared command whose feature is not configured. */
export function notConfiguredMessage(spec: CommandSpec): string {
  return `/${spec.name} is not configured here: add \`${spec.section ?? spec.name}:\` (see config/example.full.yaml)`;
}
