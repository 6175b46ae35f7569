import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction } from "discord.js";
import type { Reply } from "../../core/command.js";
import type { DiscordMessage } from "./render-discord-reply.js";

export type RepliableInteraction = ChatInputCommandInteraction | ButtonInteraction;

/**
 * Where the replies of one command go:
 * - `deferred`: a slash command answered with `deferReply`; replies edit that message. A reply
 *   only the actor may see deletes it and goes out as an ephemeral follow-up instead.
 * - `clicked`: a button answered with `deferUpdate`; replies edit the message holding the button,
 *   replies for the actor only go out as ephemeral follow-ups.
 * - `followup`: the interaction was already answered (a confirmation prompt); replies are new
 *   follow-up messages, later edited in place.
 */
export type ReplierMode = "deferred" | "clicked" | "followup";

export function createInteractionReplier(
  interaction: RepliableInteraction,
  mode: ReplierMode,
  render: (reply: Reply) => Promise<DiscordMessage>,
): (reply: Reply) => Promise<void> {
  let target: string | null = mode === "followup" ? null : "@original";
  let privateId: string | null = null;

  return async (reply) => {
    const msg = await render(reply);
    const payload = { embeds: msg.embeds, components: msg.components, allowedMentions: { parse: [] } };
    if (msg.ephemeral) {
      if (mode === "deferred" && target === "@original") {
        await interaction.deleteReply();
        target = null;
      }
      if (privateId) await interaction.editReply({ ...payload, message: privateId });
      else privateId = (await interaction.followUp({ ...payload, flags: MessageFlags.Ephemeral })).id;
      return;
    }
    if (target) await interaction.editReply({ ...payload, message: target });
    else target = (await interaction.followUp(payload)).id;
  };
}
