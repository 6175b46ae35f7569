import type { types } from "@slack/bolt";
import type { Button, Reply } from "../../core/command.js";
import { fitSlack, fitSlackTail } from "./slack-text.js";
import { STATUS_ICON } from "../render-common.js";

type KnownBlock = types.KnownBlock;
type SlackButton = types.Button;

/** A message body for `chat.postMessage`, `chat.update` and `response_url`. */
export interface SlackMessage {
  /** Notification and screen-reader fallback for the blocks. */
  text: string;
  blocks: KnownBlock[];
}

/** Block Kit limits (docs.slack.dev/reference/block-kit). */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  contextText: 2000,
  buttonText: 75,
  buttonValue: 2000,
  buttonsPerActions: 25,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  blocksPerMessage: 50,
  fallbackText: 3000,
} as const;

/** Prefix of every button's `action_id`; the adapter listens for it. */
export const BUTTON_ACTION_PREFIX = "opsdeck.button.";


const plain = (text: string): types.PlainTextElement => ({ type: "plain_text", text, emoji: true });
/** `verbatim: true`: Slack must not auto-link channel names or parse mentions in our text. */
const mrkdwn = (text: string): types.MrkdwnElement => ({ type: "mrkdwn", text, verbatim: true });

function renderButton(button: Button, index: number): SlackButton | undefined {
  // A cut command would dispatch something else than the label promises: leave such a button out.
  if (button.command.length === 0 || button.command.length > SLACK_LIMITS.buttonValue) return undefined;
  const element: SlackButton = {
    type: "button",
    action_id: `${BUTTON_ACTION_PREFIX}${index}`,
    text: plain(fitSlack(button.label, SLACK_LIMITS.buttonText)),
    value: button.command,
  };
  if (button.style === "primary" || button.style === "danger") element.style = button.style;
  if (button.confirm) {
    element.confirm = {
      title: plain(fitSlack(`${button.label}?`, SLACK_LIMITS.confirmTitle)),
      text: plain(fitSlack(button.confirm, SLACK_LIMITS.confirmText)),
      confirm: plain(fitSlack(button.label, SLACK_LIMITS.confirmButton)),
      deny: plain("Cancel"),
      ...(button.style === "danger" ? { style: "danger" as const } : {}),
    };
  }
  return element;
}

function fieldBlocks(reply: Reply): KnownBlock[] {
  const fields = reply.fields ?? [];
  const blocks: KnownBlock[] = [];
  for (let i = 0; i < fields.length; i += SLACK_LIMITS.fieldsPerSection) {
    blocks.push({
      type: "section",
      fields: fields.slice(i, i + SLACK_LIMITS.fieldsPerSection).map((f) => {
        const label = fitSlack(f.label, 200);
        return mrkdwn(`*${label}*\n${fitSlack(f.value || "—", SLACK_LIMITS.fieldText - label.length - 3)}`);
      }),
    });
  }
  return blocks;
}

/**
 * Reply → Block Kit: header (status icon + title), a section with the text lines, sections of
 * fields (ten per section), a code block for `code` (its tail kept when too long), a context line
 * for `nextStep`, and an actions block with the buttons. Every piece of text is escaped and cut
 * to Slack's limits, so whatever a handler returns the API accepts it and nobody gets pinged.
 */
export function renderSlackReply(reply: Reply): SlackMessage {
  const blocks: KnownBlock[] = [{ type: "header", text: plain(fitSlack(`${STATUS_ICON[reply.status]} ${reply.title}`, SLACK_LIMITS.headerText)) }];
  const lines = (reply.lines ?? []).join("\n");
  if (lines.trim().length > 0) blocks.push({ type: "section", text: mrkdwn(fitSlack(lines, SLACK_LIMITS.sectionText)) });
  // Header, text, code, context and actions take at most 5 blocks; fields get the rest.
  blocks.push(...fieldBlocks(reply).slice(0, SLACK_LIMITS.blocksPerMessage - 5));
  if (reply.code && reply.code.length > 0) {
    const fence = "```\n";
    const body = fitSlackTail(reply.code, SLACK_LIMITS.sectionText - 2 * fence.length);
    blocks.push({ type: "section", text: mrkdwn(`${fence}${body}\n\`\`\``) });
  }
  if (reply.nextStep) blocks.push({ type: "context", elements: [mrkdwn(`*Next:* ${fitSlack(reply.nextStep, SLACK_LIMITS.contextText)}`)] });
  const buttons = (reply.buttons ?? []).map(renderButton).filter((b): b is SlackButton => b !== undefined);
  if (buttons.length > 0) blocks.push({ type: "actions", elements: buttons.slice(0, SLACK_LIMITS.buttonsPerActions) });

  const summary = [`${STATUS_ICON[reply.status]} ${reply.title}`, ...(reply.lines ?? []).slice(0, 3)].join("\n");
  return { text: fitSlack(summary, SLACK_LIMITS.fallbackText), blocks };
}
