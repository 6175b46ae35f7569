import type { MessageEntity } from "telegraf/types";

/**
 * The command text of a message, or null when it is not a command for this bot.
 * `/preview@opsdeck_bot feature-x` (groups) and `/preview feature-x` (direct chats, or groups
 * when only one bot listens) both give `/preview feature-x`; `/preview@other_bot …` gives null.
 * Only a `bot_command` entity at offset 0 counts, as Telegram marks it.
 */
export function parseBotCommand(text: string, entities: readonly MessageEntity[] | undefined, botUsername: string): string | null {
  const entity = entities?.find((e) => e.type === "bot_command" && e.offset === 0);
  if (!entity) return null;
  const head = text.slice(0, entity.length);
  const at = head.indexOf("@");
  const name = at >= 0 ? head.slice(0, at) : head;
  if (at >= 0 && head.slice(at + 1).toLowerCase() !== botUsername.toLowerCase()) return null;
  return `${name.toLowerCase()}${text.slice(entity.length)}`;
}
