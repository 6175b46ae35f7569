import { describe, expect, it } from "vitest";
import { loadSlackSecrets, SlackConfig } from "../../src/config/slack-config.js";
import { ConfigError } from "../../src/core/errors.js";

describe("Slack secrets", () => {
  it("refuses a bot token in the app-token variable (the SDK would retry it forever)", () => {
    const config = SlackConfig.parse({ enabled: true, mode: "socket" });
    const err = (() => {
      try {
        loadSlackSecrets(config, { SLACK_BOT_TOKEN: "xoxb-1-2-abc", SLACK_APP_TOKEN: "xoxb-1-2-abc" });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual(["chat.slack.app_token_env: SLACK_APP_TOKEN must hold the app-level token (xapp-…), not the bot token"]);
    expect(loadSlackSecrets(config, { SLACK_BOT_TOKEN: "xoxb-1-2-abc", SLACK_APP_TOKEN: "xapp-1-A-abc" }).appToken?.reveal()).toBe("xapp-1-A-abc");
  });
});
