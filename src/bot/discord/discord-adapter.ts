import { once } from "node:events";
import {
  Client,
  Events,
  GatewayIntentBits,
  MessageFlags,
  REST,
  Routes,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type User,
} from "discord.js";
import type { Command, Reply } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { AlertTarget } from "../../core/notifier.js";
import type { Secret } from "../../core/secret.js";
import { splitCommand } from "../../core/validate.js";
import type { DiscordConfig } from "../../config/discord-config.js";
import type { Store } from "../../store/store.js";
import { createButtonRefs, createConfirmPrompt, putButtonIds, type ButtonRef, type ButtonRefs } from "../button-refs.js";
import { CHAT_COMMANDS, type ChatCommandInfo } from "./chat-commands.js";
import { createInteractionReplier, type ReplierMode, type RepliableInteraction } from "./interaction-replier.js";
import { registerSlashCommands, slashCommandBodies } from "./register-slash-commands.js";
import { renderDiscordReply, type DiscordMessage } from "./render-discord-reply.js";

import type { DispatchFn } from "../../core/command.js";

export interface DiscordAdapterOptions {
  config: DiscordConfig;
  token: Secret;
  dispatch: DispatchFn;
  log: Logger;
  /** Persists button ids so buttons keep working after a restart. */
  store?: Store;
  commands?: readonly ChatCommandInfo[];
  /** How long `start` waits for the gateway's READY. */
  readyTimeoutMs?: number;
  clock?: () => Date;
}

export interface DiscordAdapter {
  /** Register the guild's slash commands (only when changed), then log in to the gateway. */
  start(): Promise<void>;
  stop(): Promise<void>;
  alertTarget: AlertTarget;
}

const PREFIX = "od:";
const DEDUPE_MS = 10 * 60_000;

function actorOf(user: User): Command["actor"] {
  return { platform: "discord", id: user.id, name: user.globalName ?? user.username };
}

/** Interaction ids seen recently: a replayed INTERACTION_CREATE (gateway resume) is not acknowledged twice. */
function createRecentIds(clock: () => Date): (id: string) => boolean {
  const seen = new Map<string, number>();
  return (id) => {
    const now = clock().getTime();
    for (const [k, at] of seen) if (now - at > DEDUPE_MS) seen.delete(k);
    if (seen.has(id)) return false;
    seen.set(id, now);
    return true;
  };
}

/**
 * Discord front end: guild slash commands and buttons in, embeds out. Every interaction is
 * acknowledged first (`deferReply` / `deferUpdate`, well inside Discord's 3 s), and only then is
 * the command dispatched; progress and the final reply edit that same message.
 */
export function createDiscordAdapter(options: DiscordAdapterOptions): DiscordAdapter {
  const { config, token, dispatch, log } = options;
  const clock = options.clock ?? (() => new Date());
  const refs: ButtonRefs = createButtonRefs({ ttlMs: config.button_ttl, clock, ...(options.store ? { store: options.store } : {}) });
  const firstSeen = createRecentIds(clock);
  const inFlight = new Set<Promise<void>>();
  let client: Client | null = null;

  const newClient = (): Client =>
    new Client({
      intents: [GatewayIntentBits.Guilds],
      allowedMentions: { parse: [] },
      ...(config.api_url ? { rest: { api: config.api_url } } : {}),
    });
  // REST on its own, for command registration and alerts: alerts go out even when the gateway is down.
  const rest = new REST(config.api_url ? { api: config.api_url } : {}).setToken(token.reveal());

  async function render(reply: Reply): Promise<DiscordMessage> {
    return renderDiscordReply(reply, await putButtonIds(refs, reply.buttons ?? [], PREFIX));
  }

  async function run(text: string, interaction: RepliableInteraction, mode: ReplierMode): Promise<void> {
    const replier = createInteractionReplier(interaction, mode, render);
    let shown = false;
    const show = async (reply: Reply): Promise<void> => {
      shown = true;
      await replier(reply);
    };
    let parsed: { name: string; args: string[] };
    try {
      parsed = splitCommand(text);
    } catch (err) {
      if (!(err instanceof OpsError)) throw err;
      await show({ status: "failure", title: err.message, nextStep: err.nextStep, visibility: "actor" });
      return;
    }
    const command: Command = {
      ...parsed,
      text,
      actor: actorOf(interaction.user),
      channelId: interaction.channelId ?? "",
      deliveryId: interaction.id,
      respond: show,
      update: show,
      messageRef: () => replier.ref(),
    };
    await dispatch(command);
    // The router answered nothing (a delivery it had already seen): do not leave "thinking…" behind.
    if (!shown && mode === "deferred") await interaction.deleteReply();
  }

  async function onSlash(interaction: ChatInputCommandInteraction): Promise<void> {
    const args = interaction.options.getString("args") ?? "";
    const text = `/${interaction.commandName}${args ? ` ${args}` : ""}`;
    await interaction.deferReply();
    await run(text, interaction, "deferred");
  }

  async function confirmPrompt(interaction: ButtonInteraction, ref: ButtonRef): Promise<void> {
    const { reply, ids } = await createConfirmPrompt(refs, ref, PREFIX);
    const prompt = renderDiscordReply(reply, ids);
    await interaction.reply({ embeds: prompt.embeds, components: prompt.components, allowedMentions: { parse: [] }, flags: MessageFlags.Ephemeral });
  }

  async function onButton(interaction: ButtonInteraction): Promise<void> {
    if (!interaction.customId.startsWith(PREFIX)) return;
    const ref = refs.get(interaction.customId.slice(PREFIX.length));
    if (!ref) {
      const expired = renderDiscordReply({ status: "warning", title: "This button has expired", nextStep: "Type the command again." });
      await interaction.reply({ embeds: expired.embeds, flags: MessageFlags.Ephemeral });
      return;
    }
    if (ref.kind === "cancel") {
      await interaction.update({ embeds: renderDiscordReply({ status: "info", title: "Cancelled" }).embeds, components: [] });
      return;
    }
    if (ref.kind === "run" && ref.confirm) {
      await confirmPrompt(interaction, ref);
      return;
    }
    if (ref.kind === "confirmed") {
      await interaction.update({ embeds: renderDiscordReply({ status: "info", title: "Confirmed", lines: [ref.command] }).embeds, components: [] });
      await run(ref.command, interaction, "followup");
      return;
    }
    await interaction.deferUpdate();
    await run(ref.command, interaction, "clicked");
  }

  function onInteraction(interaction: Interaction): void {
    if (!interaction.isChatInputCommand() && !interaction.isButton()) return;
    if (!firstSeen(interaction.id)) {
      log.info({ interaction: interaction.id }, "duplicate Discord interaction ignored");
      return;
    }
    const work = (interaction.isChatInputCommand() ? onSlash(interaction) : onButton(interaction)).catch((err: unknown) => {
      log.error({ err, interaction: interaction.id }, "Discord interaction failed");
    });
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  }

  return {
    async start() {
      if (!config.application_id || !config.guild_id) {
        throw new OpsError("config", "chat.discord needs application_id and guild_id", "Add both under chat.discord in the config file.");
      }
      const wrote = await registerSlashCommands(rest, config.application_id, config.guild_id, slashCommandBodies(options.commands ?? CHAT_COMMANDS)).catch((err: unknown) => {
        throw new OpsError("external_api", `could not register the Discord slash commands (${(err as Error).message})`, "Check the bot token, application_id and guild_id, and that the bot was invited with the applications.commands scope.", { cause: err });
      });
      log.info({ guild: config.guild_id, changed: wrote }, wrote ? "Discord slash commands registered" : "Discord slash commands unchanged");

      const c = newClient();
      client = c;
      c.on(Events.InteractionCreate, onInteraction);
      c.on(Events.Error, (err) => log.error({ err }, "Discord client error"));
      const ready = once(c, Events.ClientReady, { signal: AbortSignal.timeout(options.readyTimeoutMs ?? 30_000) });
      try {
        await c.login(token.reveal());
        await ready;
      } catch (err) {
        await c.destroy();
        client = null;
        throw new OpsError("external_api", `could not connect to the Discord gateway (${(err as Error).message})`, `Check ${config.bot_token_env} holds the bot's current token and that Discord is reachable.`, { cause: err });
      }
      log.info({ user: c.user?.id }, "Discord connected");
    },
    async stop() {
      // Let commands already acknowledged finish their replies, but do not hang on a long operation.
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
      await client?.destroy();
      client = null;
    },
    alertTarget: {
      platform: "discord",
      async post(reply) {
        if (!config.alert_channel) {
          throw new OpsError("config", "no Discord alert channel is configured", "Set chat.discord.alert_channel to a channel id.");
        }
        const msg = await render(reply);
        await rest.post(Routes.channelMessages(config.alert_channel), {
          body: { embeds: msg.embeds, components: msg.components, allowed_mentions: { parse: [] } },
        });
      },
      // Any message this bot posted (an approval request after a restart): the bot token, not the
      // interaction token, so it works after the 15-minute interaction window too.
      async edit(ref, reply) {
        const msg = await render(reply);
        await rest.patch(Routes.channelMessage(ref.channel, ref.id), {
          body: { embeds: msg.embeds, components: msg.components, allowed_mentions: { parse: [] } },
        });
      },
    },
  };
}
