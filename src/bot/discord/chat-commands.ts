import { usageHint, type CommandSpec } from "../../core/command-spec.js";
import { COMMAND_SPECS } from "../../handlers/registry.js";

/** The commands every chat platform registers, with a one-line description each. */
export interface ChatCommandInfo {
  name: string;
  description: string;
  /** The usage without the command name, shown as the hint for the free-text argument. */
  hint: string;
}

/** A platform's command list entry from a declaration: the summary, and the usage as the hint. */
export function chatCommandInfo(spec: CommandSpec): ChatCommandInfo {
  return { name: spec.name, description: spec.summary, hint: usageHint(spec) };
}

/** Discord's slash commands and Telegram's command menu: the registry, nothing else. */
export const CHAT_COMMANDS: readonly ChatCommandInfo[] = COMMAND_SPECS.map(chatCommandInfo);
