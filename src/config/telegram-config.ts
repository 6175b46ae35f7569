import { z } from "zod";
import { envVarName } from "./common-schemas.js";
import { Duration } from "./duration.js";
import { ConfigError } from "../core/errors.js";
import { Secret } from "../core/secret.js";

const EnvVarName = envVarName("TELEGRAM_BOT_TOKEN");

export const TelegramWebhook = z.strictObject({
  /** Path Telegram POSTs updates to. */
  path: z.string().regex(/^\/[A-Za-z0-9/_-]{0,200}$/, "must be a URL path such as /telegram/webhook").default("/telegram/webhook"),
  /**
   * Variable holding the `secret_token` Telegram sends in `X-Telegram-Bot-Api-Secret-Token`.
   * Required in webhook mode: without it anyone who reaches the URL could post updates as anyone.
   */
  secret_token_env: EnvVarName.optional(),
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(8788),
  /** Public HTTPS URL of the webhook; when set, `setWebhook` is called at start. */
  public_url: z.url().optional(),
});
export type TelegramWebhook = z.infer<typeof TelegramWebhook>;

/** `chat.telegram`: long polling by default; webhook mode listens on its own port. */
export const TelegramConfig = z
  .strictObject({
    enabled: z.boolean().default(false),
    bot_token_env: EnvVarName.default("TELEGRAM_BOT_TOKEN"),
    mode: z.enum(["polling", "webhook"]).default("polling"),
    webhook: TelegramWebhook.default({ path: "/telegram/webhook", host: "127.0.0.1", port: 8788 }),
    /** Chat the notifier posts alerts to: a numeric id (groups are negative) or `@channelname`. */
    alert_chat_id: z.union([z.number().int(), z.string().regex(/^(-?\d{1,20}|@[A-Za-z0-9_]{5,32})$/, "must be a chat id such as -1001234567890 or @channelname")]).optional(),
    /** Bot API root, e.g. `http://127.0.0.1:9001` (tests, or a local Bot API server). */
    api_root: z.url().optional(),
    /** How long a button keeps working after it was posted. */
    button_ttl: Duration.default(7 * 86_400_000),
  })
  .superRefine((cfg, ctx) => {
    if (cfg.mode === "webhook" && !cfg.webhook.secret_token_env) {
      ctx.addIssue({
        code: "custom",
        path: ["webhook", "secret_token_env"],
        message:
          "is required when chat.telegram.mode is webhook — name the variable that holds the secret token, e.g. secret_token_env: TELEGRAM_WEBHOOK_SECRET, and set it to 1–256 random characters of A-Z a-z 0-9 _ - (openssl rand -hex 32)",
      });
    }
  });
export type TelegramConfig = z.infer<typeof TelegramConfig>;

export interface TelegramSecrets {
  token: Secret;
  webhookSecret?: Secret;
}

/** Read the bot token (and webhook secret, in webhook mode) from the variables the config names. */
export function loadTelegramSecrets(config: TelegramConfig, env: NodeJS.ProcessEnv = process.env): TelegramSecrets {
  const problems: string[] = [];
  const token = env[config.bot_token_env];
  if (!token) problems.push(`chat.telegram: environment variable ${config.bot_token_env} is empty — set it to the token @BotFather gave you`);
  let webhookSecret: Secret | undefined;
  const secretVar = config.webhook.secret_token_env;
  if (config.mode === "webhook" && !secretVar) {
    problems.push("chat.telegram.webhook.secret_token_env: is required in webhook mode — name the variable holding the secret token (e.g. TELEGRAM_WEBHOOK_SECRET) and set that variable");
  } else if (config.mode === "webhook" && secretVar) {
    const value = env[secretVar];
    if (!value) {
      problems.push(`chat.telegram.webhook: environment variable ${secretVar} is empty or unset — webhook mode does not start without it; set it to 1–256 random characters of A-Z a-z 0-9 _ - (openssl rand -hex 32)`);
    } else if (!/^[A-Za-z0-9_-]{1,256}$/.test(value)) {
      problems.push(`chat.telegram.webhook: environment variable ${secretVar} must hold 1–256 characters of A-Z a-z 0-9 _ - (Telegram's rule for secret_token)`);
    } else webhookSecret = new Secret(value);
  }
  if (problems.length > 0 || !token) throw new ConfigError(problems);
  return webhookSecret ? { token: new Secret(token), webhookSecret } : { token: new Secret(token) };
}
