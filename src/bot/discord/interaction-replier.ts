import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type Message } from "discord.js";
import type { MessageRef, Reply } from "../../core/command.js";
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

export interface InteractionReplier {
  (reply: Reply): Promise<void>;
  /**
   * The shared (non-ephemeral) message the replies edit, once known: channel id + message id, so
   * it can be edited later through `PATCH /channels/{channel}/messages/{id}` with the bot token,
   * also after the 15-minute interaction token expired or the process restarted.
   */
  ref(): MessageRef | undefined;
}

export function createInteractionReplier(
  interaction: RepliableInteraction,
  mode: ReplierMode,
  render: (reply: Reply) => Promise<DiscordMessage>,
): InteractionReplier {
  let target: string | null = mode === "followup" ? null : "@original";
  let privateId: string | null = null;
  const clicked = mode === "clicked" && interaction.isButton() ? interaction.message : undefined;
  let shared: MessageRef | undefined = clicked ? { platform: "discord", channel: clicked.channelId, id: clicked.id } : undefined;
  const remember = (m: Message): void => {
    shared = { platform: "discord", channel: m.channelId, id: m.id };
  };

  const replier = async (reply: Reply): Promise<void> => {
    const msg = await render(reply);
    const payload = { embeds: msg.embeds, components: msg.components, allowedMentions: { parse: [] } };
    if (msg.ephemeral) {
      if (mode === "deferred" && target === "@original") {
        await interaction.deleteReply();
        target = null;
        shared = undefined;
      }
      if (privateId) await interaction.editReply({ ...payload, message: privateId });
      else privateId = (await interaction.followUp({ ...payload, flags: MessageFlags.Ephemeral })).id;
      return;
    }
    if (target) remember(await interaction.editReply({ ...payload, message: target }));
    else {
      const sent = await interaction.followUp(payload);
      target = sent.id;
      remember(sent);
    }
  };
  return Object.assign(replier, { ref: (): MessageRef | undefined => shared });
}
