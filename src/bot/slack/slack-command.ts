import type { BlockAction, SlashCommand } from "@slack/bolt";
import type { Actor, Command } from "../../core/command.js";
import type { CommandSpec } from "../../core/command-spec.js";
import { splitCommand } from "../../core/validate.js";
import { COMMAND_SPECS } from "../../handlers/registry.js";
import type { SlackReplier } from "./create-slack-replier.js";
import { unescapeSlack } from "./slack-text.js";

/** Slack's name for a declared command: help goes by its alias `/opsdeck`, so it does not clash with other apps' `/help`. */
export function slackCommandName(spec: CommandSpec): string {
  return spec.name === "help" ? (spec.aliases?.[0] ?? spec.name) : spec.name;
}

/** Slash commands the app listens for and `config/slack-manifest.yaml` declares: the registry. */
export const SLACK_COMMANDS: readonly string[] = COMMAND_SPECS.map(slackCommandName);

/**
 * The actor is `<team id>/<user id>`: both immutable, and the team keeps ids from two workspaces
 * apart. Display names are only for showing, never for deciding.
 */
export function slackActor(teamId: string | undefined, userId: string, name: string | undefined): Actor {
  return { platform: "slack", id: `${teamId && teamId.length > 0 ? teamId : "unknown"}/${userId}`, name: name && name.length > 0 ? name : userId };
}

/**
 * A slash command payload as a `Command`. Slack gives slash commands no delivery id; the
 * `trigger_id` is unique per invocation and identical in a re-delivery of the same body, so it
 * serves for de-duplication. Throws `OpsError("bad_input")` for text that is not a command line.
 */
export function slashToCommand(payload: SlashCommand, replier: SlackReplier): Command {
  const text = `${payload.command} ${unescapeSlack(payload.text ?? "")}`.trim();
  const { name, args } = splitCommand(text);
  return {
    name,
    args,
    text,
    actor: slackActor(payload.team_id, payload.user_id, payload.user_name),
    channelId: payload.channel_id,
    deliveryId: `slash:${payload.trigger_id}`,
    respond: replier.respond,
    update: replier.update,
  };
}

/**
 * A button click as a `Command` from the person who clicked. The button's value is the command
 * text; it is parsed and authorised like typed text, so a forged value grants nothing.
 */
export function actionToCommand(body: BlockAction, value: string, replier: SlackReplier): Command {
  const { name, args } = splitCommand(value);
  return {
    name,
    args,
    text: value,
    actor: slackActor(body.team?.id ?? body.user.team_id, body.user.id, body.user.username ?? body.user.name),
    channelId: body.channel?.id ?? String(body.container["channel_id"] ?? ""),
    deliveryId: `action:${body.trigger_id}`,
    respond: replier.respond,
    update: replier.update,
  };
}
