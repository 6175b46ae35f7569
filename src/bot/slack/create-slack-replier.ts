import type { RespondArguments, RespondFn, webApi } from "@slack/bolt";
import type { MessageRef, Reply } from "../../core/command.js";
import type { Redactor } from "../../core/redact.js";
import { renderSlackReply, type SlackMessage } from "./render-slack-reply.js";

/** Where one delivery's replies go. */
export interface SlackReplyTarget {
  client: webApi.WebClient;
  channel: string;
  /** Slack user id of the actor, for ephemeral messages. */
  user: string;
  /** Bolt's `respond` for the delivery's `response_url`, when it has one. */
  respondUrl?: RespondFn;
  /** Button clicks: the message that holds the button, edited in place. */
  message?: { ts: string; ephemeral: boolean };
}

export interface SlackReplier {
  respond(reply: Reply): Promise<void>;
  update(reply: Reply): Promise<void>;
  /** The shared message `update` edits (channel + ts), once posted through the Web API. */
  ref(): MessageRef | undefined;
}

/** What was posted last, so `update` edits that same message. */
type Posted =
  | { via: "api"; ts: string; shared: true }
  | { via: "response_url"; shared: boolean }
  /** `chat.postEphemeral` messages cannot be edited: each update posts a new one. */
  | { via: "ephemeral_api"; shared: false };

const RESPONSE_URL_USES = 5;

function slackErrorCode(err: unknown): string | undefined {
  const data = (err as { data?: { error?: unknown } } | null)?.data;
  return typeof data?.error === "string" ? data.error : undefined;
}

/**
 * `respond`/`update` for one Slack delivery.
 *
 * - Channel replies: `chat.postMessage`, then `chat.update` of that `ts`. When the bot cannot post
 *   in the channel (a DM between people, a private channel it is not in), the slash command's
 *   `response_url` posts in-channel instead and `replace_original` edits it.
 * - Button clicks edit the message that holds the button.
 * - `visibility: "actor"` replies are ephemeral: through the slash command's `response_url`, or
 *   `chat.postEphemeral` for clicks (a click's `response_url` would replace the shared message).
 *   If a public progress message already exists it is edited to a short neutral line, so details
 *   meant for the actor never stay in the channel.
 */
export function createSlackReplier(target: SlackReplyTarget, redact: Redactor): SlackReplier {
  const { client, channel, user, respondUrl, message } = target;
  let posted: Posted | undefined;
  const clicked: Posted | undefined = message ? (message.ephemeral ? { via: "response_url", shared: false } : { via: "api", ts: message.ts, shared: true }) : undefined;

  const render = (reply: Reply): SlackMessage => renderSlackReply(redact.value(reply));

  // A response_url takes at most 5 posts (within 30 minutes): keep the last one for the result.
  let responseUrlUses = 0;
  const viaResponseUrl = async (args: RespondArguments): Promise<void> => {
    if (!respondUrl) throw new Error("no response_url for this delivery");
    responseUrlUses += 1;
    await respondUrl(args);
  };
  const progressBudgetLeft = (): boolean => responseUrlUses < RESPONSE_URL_USES - 1;

  async function edit(at: Posted, msg: SlackMessage): Promise<void> {
    if (at.via === "api") await client.chat.update({ channel, ts: at.ts, text: msg.text, blocks: msg.blocks });
    else if (at.via === "response_url" && respondUrl) await viaResponseUrl({ replace_original: true, text: msg.text, blocks: msg.blocks });
    else await client.chat.postEphemeral({ channel, user, text: msg.text, blocks: msg.blocks });
  }

  async function postEphemeral(msg: SlackMessage): Promise<Posted> {
    if (message?.ephemeral && respondUrl) {
      await viaResponseUrl({ replace_original: true, text: msg.text, blocks: msg.blocks });
      return { via: "response_url", shared: false };
    }
    if (respondUrl && !message) {
      await viaResponseUrl({ response_type: "ephemeral", replace_original: false, text: msg.text, blocks: msg.blocks });
      return { via: "response_url", shared: false };
    }
    await client.chat.postEphemeral({ channel, user, text: msg.text, blocks: msg.blocks });
    return { via: "ephemeral_api", shared: false };
  }

  async function postPublic(msg: SlackMessage): Promise<Posted> {
    if (clicked) {
      await edit(clicked, msg);
      return clicked;
    }
    try {
      const res = await client.chat.postMessage({ channel, text: msg.text, blocks: msg.blocks });
      if (typeof res.ts === "string") return { via: "api", ts: res.ts, shared: true };
      throw new Error("chat.postMessage returned no ts");
    } catch (err) {
      const code = slackErrorCode(err);
      if (!respondUrl || (code !== "not_in_channel" && code !== "channel_not_found")) throw err;
      await viaResponseUrl({ response_type: "in_channel", text: msg.text, blocks: msg.blocks });
      return { via: "response_url", shared: true };
    }
  }

  async function respond(reply: Reply): Promise<void> {
    const msg = render(reply);
    posted = reply.visibility === "actor" ? await postEphemeral(msg) : await postPublic(msg);
  }

  async function update(reply: Reply): Promise<void> {
    if (!posted) return respond(reply);
    if (reply.visibility === "actor" && posted.shared) {
      const note: Reply = { status: reply.status, title: reply.status === "failure" ? "Failed — the details were shown only to the requester" : "Done — the result was shown only to the requester" };
      await edit(posted, render(note));
      await postEphemeral(render(reply));
      return;
    }
    if (reply.status === "progress" && posted.via === "response_url" && !progressBudgetLeft()) return;
    await edit(posted, render(reply));
  }

  const ref = (): MessageRef | undefined => (posted?.via === "api" ? { platform: "slack", channel, id: posted.ts } : undefined);

  return { respond, update, ref };
}
