import type { App as BoltApp, HTTPReceiver as BoltHTTPReceiver, Logger as BoltLogger, webApi } from "@slack/bolt";
import { App, HTTPReceiver } from "./bolt-modules.js";
import { OpsError } from "../../core/errors.js";
import type { SlackConfig, SlackSecrets } from "../../config/slack-config.js";

/** The Web API client wants a base URL ending in `/`. */
export function slackApiBase(url: string | undefined): string | undefined {
  if (!url) return undefined;
  return url.endsWith("/") ? url : `${url}/`;
}

/**
 * The Bolt app for the configured mode. HTTP: Bolt's own HTTPReceiver with signature
 * verification on (it refuses only timestamps more than 5 minutes old, so the adapter puts
 * `slack-request-guard.ts` in front of it for future ones and replays) and
 * `processBeforeResponse: false`, so `ack()` writes the 200 at once. The receiver is returned so
 * the adapter can serve its request listener from its own server. Socket Mode: Bolt's
 * SocketModeReceiver over the app-level token. `deferInitialization` keeps the token check
 * (`auth.test`) out of the constructor, so `start` can report a bad token properly.
 */
export function createSlackApp(config: SlackConfig, secrets: SlackSecrets, logger: BoltLogger, fetch?: typeof globalThis.fetch): { app: BoltApp; receiver?: BoltHTTPReceiver } {
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
  const receiver = new HTTPReceiver({
    signingSecret: secrets.signingSecret.reveal(),
    signatureVerification: true,
    endpoints: config.path,
    port: config.port,
    processBeforeResponse: false,
    logger,
  });
  return { app: new App({ ...common, receiver }), receiver };
}
