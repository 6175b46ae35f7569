import { z } from "zod";
import { envVarName } from "./common-schemas.js";
import { ConfigError } from "../core/errors.js";
import { Secret } from "../core/secret.js";
import { readSecretEnv } from "./read-secret-env.js";

/** Same rule as `EnvVarName` in schema.ts (not exported there). */
const EnvVarName = envVarName("SLACK_BOT_TOKEN");

/**
 * `chat.slack` in the config file. Secrets are named by environment variable, never written here.
 * `mode: http` needs a public HTTPS URL that forwards to `host:port` + `path` (Slack's Request URL);
 * `mode: socket` needs no inbound port but an app-level token (`xapp-…`, scope `connections:write`).
 */
export const SlackConfig = z.strictObject({
  enabled: z.boolean().default(false),
  mode: z.enum(["http", "socket"]).default("http"),
  signing_secret_env: EnvVarName.default("SLACK_SIGNING_SECRET"),
  bot_token_env: EnvVarName.default("SLACK_BOT_TOKEN"),
  app_token_env: EnvVarName.default("SLACK_APP_TOKEN"),
  /** Address the HTTP receiver binds to; put a TLS reverse proxy in front of it. */
  host: z.string().default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(3000),
  /** Request URL path for slash commands and interactivity (both point here in the manifest). */
  path: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, "must be a URL path such as /slack/events").default("/slack/events"),
  /** Channel id (not name) alerts are posted to, e.g. C0123ABCD; the bot must be invited or hold chat:write.public. */
  alert_channel: z.string().regex(/^[CGD][A-Z0-9]{2,}$/, "must be a channel id such as C0123ABCD (channel details → About → Channel ID)").optional(),
  /** Web API base URL; only for tests or a proxy. */
  api_url: z.url().optional(),
});
export type SlackConfig = z.infer<typeof SlackConfig>;

export interface SlackSecrets {
  botToken: Secret;
  /** HTTP mode only. */
  signingSecret?: Secret;
  /** Socket Mode only. */
  appToken?: Secret;
}

/**
 * Read the secrets the configured mode needs from the environment. Throws `ConfigError` naming
 * every missing variable, so start-up stops before anything connects.
 */
export function loadSlackSecrets(config: SlackConfig, env: NodeJS.ProcessEnv = process.env): SlackSecrets {
  const problems: string[] = [];
  const need = (key: string, name: string, shape: string): Secret | undefined => {
    const value = readSecretEnv(name, env);
    if (!value) problems.push(`chat.slack.${key}: environment variable ${name} is not set — export it with the ${shape}`);
    return value ? new Secret(value) : undefined;
  };
  const botToken = need("bot_token_env", config.bot_token_env, "bot token (xoxb-…, OAuth & Permissions page)");
  const signingSecret = config.mode === "http" ? need("signing_secret_env", config.signing_secret_env, "signing secret (Basic Information page)") : undefined;
  const appToken = config.mode === "socket" ? need("app_token_env", config.app_token_env, "app-level token (xapp-…, Basic Information → App-Level Tokens)") : undefined;
  // A bot token in the app-token variable makes the SDK retry `apps.connections.open` forever.
  if (appToken && !appToken.reveal().startsWith("xapp-")) {
    problems.push(`chat.slack.app_token_env: ${config.app_token_env} must hold the app-level token (xapp-…), not the bot token`);
  }
  if (!botToken || problems.length > 0) throw new ConfigError(problems);
  return { botToken, ...(signingSecret ? { signingSecret } : {}), ...(appToken ? { appToken } : {}) };
}
