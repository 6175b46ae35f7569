import type { Logger as BoltLogger } from "@slack/bolt";
import { WebClient } from "./bolt-modules.js";
import type { Reply } from "../../core/command.js";
import type { AlertTarget } from "../../core/notifier.js";
import type { Secret } from "../../core/secret.js";
import { renderSlackReply } from "./render-slack-reply.js";

export interface SlackAlertTargetOptions {
  botToken: Secret;
  /** Channel id. */
  channel: string;
  /** Web API base URL ending in `/`, e.g. `https://slack.com/api/`. */
  apiUrl?: string;
  logger: BoltLogger;
}

/**
 * Posts alerts with `chat.postMessage`. Its Web API client does not retry on its own (its default
 * would retry for about 30 minutes): the notifier owns the retry policy and the logging, so a
 * Slack outage costs a bounded number of attempts. The notifier has already redacted `reply`.
 */
export function createSlackAlertTarget(options: SlackAlertTargetOptions): AlertTarget {
  const client = new WebClient(options.botToken.reveal(), {
    ...(options.apiUrl ? { slackApiUrl: options.apiUrl } : {}),
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logger: options.logger,
  });
  return {
    platform: "slack",
    async post(reply: Reply): Promise<void> {
      const msg = renderSlackReply(reply);
      await client.chat.postMessage({ channel: options.channel, text: msg.text, blocks: msg.blocks });
    },
    async edit(ref, reply): Promise<void> {
      const msg = renderSlackReply(reply);
      await client.chat.update({ channel: ref.channel, ts: ref.id, text: msg.text, blocks: msg.blocks });
    },
  };
}
