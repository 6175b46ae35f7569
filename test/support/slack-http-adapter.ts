// The real Slack adapter in HTTP mode on 127.0.0.1 (port 0), started, with its endpoint URL: the
// set-up the Slack adapter tests share. Only the Web API behind `api_url` is a loopback fake.
import { createSlackAdapter, type SlackAdapter, type SlackAdapterOptions } from "../../src/bot/slack/create-slack-adapter.js";
import { SlackConfig } from "../../src/config/slack-config.js";
import { Secret } from "../../src/core/secret.js";

export interface StartedSlackHttpAdapter {
  adapter: SlackAdapter;
  /** `http://127.0.0.1:<port>/slack/events` */
  endpoint: string;
}

export async function startSlackHttpAdapter(
  options: Omit<SlackAdapterOptions, "config" | "secrets"> & { apiUrl: string; botToken: string; signingSecret: string; config?: Record<string, unknown> },
): Promise<StartedSlackHttpAdapter> {
  const { apiUrl, botToken, signingSecret, config, ...rest } = options;
  const adapter = createSlackAdapter({
    ...rest,
    config: SlackConfig.parse({ enabled: true, mode: "http", port: 0, host: "127.0.0.1", path: "/slack/events", api_url: apiUrl, ...config }),
    secrets: { botToken: new Secret(botToken), signingSecret: new Secret(signingSecret) },
  });
  await adapter.start();
  return { adapter, endpoint: `http://127.0.0.1:${adapter.port() ?? 0}/slack/events` };
}
