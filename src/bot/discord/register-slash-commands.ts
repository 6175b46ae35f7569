import { ApplicationCommandOptionType, ApplicationCommandType, Routes, type REST, type RESTPutAPIApplicationGuildCommandsJSONBody } from "discord.js";
import type { ChatCommandInfo } from "./chat-commands.js";

type CommandBody = RESTPutAPIApplicationGuildCommandsJSONBody[number];

/** Slash command definitions: each command takes one optional free-text option, `args`. */
export function slashCommandBodies(commands: readonly ChatCommandInfo[]): CommandBody[] {
  return commands.map((c) => ({
    type: ApplicationCommandType.ChatInput,
    name: c.name,
    description: c.description.slice(0, 100),
    ...(c.name === "help"
      ? {}
      : { options: [{ type: ApplicationCommandOptionType.String, name: "args", description: (c.hint ? `e.g. ${c.hint}` : "arguments").slice(0, 100), required: false }] }),
  }));
}

interface Comparable {
  name: string;
  description: string;
  type: number;
  options: Array<{ type: number; name: string; description: string; required: boolean }>;
}

function comparable(c: unknown): Comparable {
  const o = (c ?? {}) as Record<string, unknown>;
  const options = Array.isArray(o.options) ? (o.options as Array<Record<string, unknown>>) : [];
  return {
    name: String(o.name ?? ""),
    description: String(o.description ?? ""),
    type: typeof o.type === "number" ? o.type : ApplicationCommandType.ChatInput,
    options: options.map((p) => ({ type: Number(p.type), name: String(p.name), description: String(p.description ?? ""), required: p.required === true })),
  };
}

function key(list: unknown[]): string {
  return JSON.stringify(list.map(comparable).sort((a, b) => a.name.localeCompare(b.name)));
}

/**
 * Make the guild's slash commands match `bodies`. Reads what is registered first and writes
 * (one bulk PUT) only when something differs, so a restart does not re-register and does not
 * burn Discord's daily command-creation limit. Returns whether it wrote.
 */
export async function registerSlashCommands(rest: REST, applicationId: string, guildId: string, bodies: CommandBody[]): Promise<boolean> {
  const route = Routes.applicationGuildCommands(applicationId, guildId);
  const existing = (await rest.get(route)) as unknown[];
  if (Array.isArray(existing) && key(existing) === key(bodies)) return false;
  await rest.put(route, { body: bodies });
  return true;
}
