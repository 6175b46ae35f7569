import type { App as BoltApp, Logger as BoltLogger, Receiver, webApi } from "@slack/bolt";
import { App } from "./bolt-modules.js";
import { OpsError } from "../../core/errors.js";
import type { SlackConfig, SlackSecrets } from "../../config/slack-config.js";

/** The Web API client wants a base URL ending in `/`. */
export function slackApiBase(url: string | undefined): string | undefined {
  if (!url) return undefined;
  return url.endsWith("/") ? url : `${url}/`;
}

/**
 * The Bolt app for the configured mode. HTTP: the adapter's own receiver
 * (`slack-front-receiver.ts`: signature, skew and replay checks, the ack before Bolt's work);
 * `httpReceiver` builds it once the signing secret is known to be loaded. Socket Mode: Bolt's
 * SocketModeReceiver over the app-level token. `deferInitialization` keeps the token check
 * (`auth.test`) out of the constructor, so `start` can report a bad token properly.
 */
export function createSlackApp<R extends Receiver>(
  config: SlackConfig,
  secrets: SlackSecrets,
  logger: BoltLogger,
  httpReceiver: (signingSecret: NonNullable<SlackSecrets["signingSecret"]>) => R,
  fetch?: typeof globalThis.fetch,
): { app: BoltApp; receiver?: R } {
  const slackApiUrl = slackApiBase(config.api_url);
  const clientOptions: webApi.WebClientOptions = {
    ...(slackApiUrl ? { slackApiUrl } : {}),
    // Bolt's `respond` (response_url) and the Web API client both post through it (slack-fetch.ts).
    ...(fetch ? { fetch } : {}),
    // Replies are interactive: a few quick retries, not the client's default half hour of them.
    retryConfig: { retries: 2, factor: 2, minTimeout: 250, maxTimeout: 2000 },
  };
  const common = { token: secrets.botToken.reveal(), logger, clientOptions, convoStore: false as const, deferInitialization: true };

  if (config.mode === "socket") {
    if (!secrets.appToken) {
      throw new OpsError("config", "chat.slack.mode is socket but no app-level token was loaded", `Set ${config.app_token_env} to an xapp- token with the connections:write scope.`);
    }
    return { app: new App({ ...common, appToken: secrets.appToken.reveal(), socketMode: true }) };
  }
  if (!secrets.signingSecret) {
    throw new OpsError("config", "chat.slack.mode is http but no signing secret was loaded", `Set ${config.signing_secret_env} to the app's signing secret.`);
  }
  const receiver = httpReceiver(secrets.signingSecret);
  return { app: new App({ ...common, receiver }), receiver };
}
