import type { Chat } from "../config/schema.js";
import { loadDiscordToken } from "../config/discord-config.js";
import { loadSlackSecrets } from "../config/slack-config.js";
import { loadTelegramSecrets } from "../config/telegram-config.js";
import type { Command, Reply } from "../core/command.js";
import type { Logger } from "../core/logger.js";
import type { AlertTarget } from "../core/notifier.js";
import type { Redactor } from "../core/redact.js";
import type { Store } from "../store/store.js";

export interface StartedChat {
  /** Names of the platforms that started. */
  platforms: string[];
  stop(): Promise<void>;
}

/**
 * Start every enabled chat platform on the same router, and add each one's alert channel to
 * `alertTargets`. Secrets are read here (from the variables the config names) and registered
 * with the redactor. Each platform's SDK is imported only when its section is enabled (a bot
 * with only the console never loads Bolt, discord.js or telegraf). A platform that fails to start stops start-up with its error: a bot that
 * silently ignores its chat would be worse.
 */
export async function startChatAdapters(options: {
  chat: Chat;
  dispatch: (command: Command) => Promise<Reply>;
  log: Logger;
  redact: Redactor;
  store: Store;
  alertTargets: AlertTarget[];
  env?: NodeJS.ProcessEnv;
}): Promise<StartedChat> {
  const { chat, dispatch, log, redact, store, alertTargets } = options;
  const env = options.env ?? process.env;
  const stops: Array<() => Promise<void>> = [];
  const platforms: string[] = [];
  const started = async (name: string, adapter: { start(): Promise<void>; stop(): Promise<void>; alertTarget: AlertTarget }, hasAlertChannel: boolean): Promise<void> => {
    await adapter.start();
    stops.push(() => adapter.stop());
    platforms.push(name);
    // Without an alert channel the platform posts no alerts, but still edits its own earlier
    // messages (an approval request after a restart).
    const { platform, edit } = adapter.alertTarget;
    if (hasAlertChannel) alertTargets.push(adapter.alertTarget);
    else if (edit) alertTargets.push({ platform, post: async () => {}, edit: (ref, reply) => edit.call(adapter.alertTarget, ref, reply) });
    log.info({ platform: name }, "chat platform started");
  };
  try {
    if (chat.slack?.enabled) {
      const secrets = loadSlackSecrets(chat.slack, env);
      for (const s of Object.values(secrets)) if (s) redact.add(s);
      const { createSlackAdapter } = await import("./slack/create-slack-adapter.js");
      await started("slack", createSlackAdapter({ config: chat.slack, secrets, dispatch, log, redact }), Boolean(chat.slack.alert_channel));
    }
    if (chat.discord?.enabled) {
      const token = loadDiscordToken(chat.discord, env);
      redact.add(token);
      const { createDiscordAdapter } = await import("./discord/discord-adapter.js");
      await started("discord", createDiscordAdapter({ config: chat.discord, token, dispatch, log, store }), Boolean(chat.discord.alert_channel));
    }
    if (chat.telegram?.enabled) {
      const secrets = loadTelegramSecrets(chat.telegram, env);
      redact.add(secrets.token);
      if (secrets.webhookSecret) redact.add(secrets.webhookSecret);
      const { createTelegramAdapter } = await import("./telegram/telegram-adapter.js");
      await started(
        "telegram",
        createTelegramAdapter({ config: chat.telegram, token: secrets.token, ...(secrets.webhookSecret ? { webhookSecret: secrets.webhookSecret } : {}), dispatch, log, store }),
        chat.telegram.alert_chat_id !== undefined,
      );
    }
  } catch (err) {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    throw err;
  }
  return {
    platforms,
    async stop() {
      for (const stop of stops.reverse()) await stop().catch((err: unknown) => log.warn({ err }, "error while stopping a chat platform"));
    },
  };
}
