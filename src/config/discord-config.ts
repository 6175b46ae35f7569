import { z } from "zod";
import { envVarName } from "./common-schemas.js";
import { Duration } from "./duration.js";
import { ConfigError } from "../core/errors.js";
import { Secret } from "../core/secret.js";

const EnvVarName = envVarName("DISCORD_BOT_TOKEN");
const Snowflake = z.string().regex(/^\d{5,25}$/, "must be a Discord id (digits only; enable Developer Mode, then right-click → Copy ID)");

/**
 * `chat.discord`: a bot in one guild, with guild slash commands (they update at once, unlike
 * global commands which can take an hour). `api_url` points the REST client (and through
 * `GET /gateway/bot`, the gateway) somewhere else — used by tests, or a proxy.
 */
export const DiscordConfig = z
  .strictObject({
    enabled: z.boolean().default(false),
    bot_token_env: EnvVarName.default("DISCORD_BOT_TOKEN"),
    application_id: Snowflake.optional(),
    guild_id: Snowflake.optional(),
    /** Channel the notifier posts alerts to. */
    alert_channel: Snowflake.optional(),
    /** REST base URL including `/api`, e.g. `http://127.0.0.1:9000/api`. Default: Discord's. */
    api_url: z.url().optional(),
    /** How long a button keeps working after it was posted. */
    button_ttl: Duration.default(7 * 86_400_000),
  })
  .superRefine((cfg, ctx) => {
    if (!cfg.enabled) return;
    const where = {
      application_id: "Developer Portal → your application → General Information → Application ID",
      guild_id: "in Discord, with Developer Mode on, right-click your server → Copy Server ID",
    } as const;
    for (const key of ["application_id", "guild_id"] as const) {
      if (!cfg[key]) ctx.addIssue({ code: "custom", path: [key], message: `is required when chat.discord.enabled is true (${where[key]})` });
    }
  });
export type DiscordConfig = z.infer<typeof DiscordConfig>;

/** The bot token, read from the variable the config names; fails naming the variable. */
export function loadDiscordToken(config: DiscordConfig, env: NodeJS.ProcessEnv = process.env): Secret {
  const value = env[config.bot_token_env];
  if (!value) {
    throw new ConfigError([`chat.discord: environment variable ${config.bot_token_env} is empty — set it to the bot token (Developer Portal → Bot → Reset Token)`]);
  }
  return new Secret(value);
}
