import { usageHint, type CommandSpec } from "../../core/command-spec.js";
import { slackCommandName } from "./slack-command.js";

const URL = "https://opsdeck.example.com/slack/events";

const HEADER = `# Slack app manifest for opsdeck. Create the app in one paste:
#   https://api.slack.com/apps → Create New App → From an app manifest → pick the workspace →
#   paste this file (YAML tab) → Create → Install to Workspace.
# Before pasting, replace every ${URL.replace("/slack/events", "")} with the public HTTPS address that
# forwards to opsdeck's Slack receiver (chat.slack.host:port, path chat.slack.path, default
# /slack/events). Slash commands and button clicks (interactivity) both use that one URL.
#
# Then give opsdeck the secrets through the environment (never in opsdeck.yaml):
#   SLACK_BOT_TOKEN       OAuth & Permissions → Bot User OAuth Token (xoxb-…)
#   SLACK_SIGNING_SECRET  Basic Information → App Credentials → Signing Secret
#
# Socket Mode instead (no public URL needed): set socket_mode_enabled: true below (the url and
# request_url values are then not used), create an App-Level Token with the connections:write
# scope (Basic Information → App-Level Tokens), export it as SLACK_APP_TOKEN (xapp-…) and set
# chat.slack.mode: socket in opsdeck.yaml.
#
# GENERATED from the command registry (src/handlers/registry.ts) by \`npm run slack-manifest\`;
# do not edit the slash commands by hand: test/core/command-registry.test.ts fails when this
# file differs from what the script writes.
#
# Roles in opsdeck.yaml name Slack users as slack:<team id>/<user id>, e.g. slack:T0123ABCD/U0456EFGH
# (profile → ⋮ → Copy member ID; the team id is in the workspace URL or \`auth.test\`).
_metadata:
  major_version: 1
  minor_version: 1
display_information:
  name: opsdeck
  description: Previews, deploys, backups and runbooks from chat.
  long_description: opsdeck is a self-hosted ChatOps bot. It creates preview environments per branch, deploys with approvals, rolls back, seeds and backs up databases, runs runbooks and reports infrastructure health. Every command is authorised against roles in its configuration, audited, and answered in the channel it was typed in; errors are shown only to the person who typed the command.
  background_color: "#1f2a37"
features:
  bot_user:
    display_name: opsdeck
    always_online: true
  slash_commands:
`;

const FOOTER = `oauth_config:
  scopes:
    bot:
      # Slash commands.
      - commands
      # Post and edit replies and alerts in channels the bot is a member of.
      - chat:write
      # Post replies and alerts in public channels without being invited first.
      - chat:write.public
settings:
  interactivity:
    is_enabled: true
    request_url: ${URL}
  org_deploy_enabled: false
  socket_mode_enabled: false
  token_rotation_enabled: false
`;

/** A YAML double-quoted scalar (JSON's string syntax is a subset of it). */
const quoted = (s: string): string => JSON.stringify(s);

/** `config/slack-manifest.yaml` as `npm run slack-manifest` writes it: one slash command per declared command. */
export function renderSlackManifest(specs: readonly CommandSpec[]): string {
  const commands = specs.map((spec) => {
    const hint = usageHint(spec);
    return [
      `    - command: /${slackCommandName(spec)}`,
      `      url: ${URL}`,
      `      description: ${quoted(spec.summary)}`,
      ...(hint ? [`      usage_hint: ${quoted(hint)}`] : []),
      `      should_escape: false`,
    ].join("\n");
  });
  return `${HEADER}${commands.join("\n")}\n${FOOTER}`;
}
