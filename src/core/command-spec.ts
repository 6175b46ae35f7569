/**
 * What a chat command declares about itself, once. `/help`, the router's nearest-command
 * suggestion, the Discord and Telegram command lists and the Slack manifest are all built from
 * these declarations (the list is `src/handlers/registry.ts`), so none of them can show usage
 * the command's own parser refuses: `test/core/command-registry.test.ts` feeds every usage line
 * to the parser.
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
