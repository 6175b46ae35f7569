import type { BlockAction, RespondFn, SlashCommand } from "@slack/bolt";
import type { Command, Reply } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { AlertTarget } from "../../core/notifier.js";
import type { Redactor } from "../../core/redact.js";
import type { SlackConfig, SlackSecrets } from "../../config/slack-config.js";
import { createBoltLogger } from "./create-bolt-logger.js";
import { createSlackApp, slackApiBase } from "./create-slack-app.js";
import { createSlackAlertTarget } from "./create-slack-alert-target.js";
import { createSlackReplier, type SlackReplier } from "./create-slack-replier.js";
import { BUTTON_ACTION_PREFIX } from "./render-slack-reply.js";
import { actionToCommand, SLACK_COMMANDS, slashToCommand } from "./slack-command.js";
import { createSlackFrontReceiver, type SlackBody, type SlackFrontReceiver } from "./slack-front-receiver.js";
import { createSlackFetch } from "./slack-fetch.js";
import { createSlackRequestGuard } from "./slack-request-guard.js";

export interface SlackAdapterOptions {
  config: SlackConfig;
  secrets: SlackSecrets;
  /** The router's `dispatch`. Called after the ack, never awaited by it. */
  dispatch: (command: Command) => Promise<Reply>;
  log: Logger;
  redact: Redactor;
  /** Slash commands to register; defaults to every opsdeck command. */
  commands?: readonly string[];
  /** The clock the HTTP request guard checks timestamps against. */
  clock?: () => Date;
}

export interface SlackAdapter {
  /** Check the bot token (`auth.test`), then listen (HTTP) or connect (Socket Mode). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The HTTP receiver's bound port after `start` (useful with `port: 0`); undefined in Socket Mode. */
  port(): number | undefined;
  /** Posts to `alert_channel`; fails with `OpsError("config")` (not retried) when none is configured. */
  alertTarget: AlertTarget;
}

/**
 * Slack front end on Bolt: slash commands and button clicks in, Block Kit out. Every request is
 * acknowledged first (an empty 200, well inside Slack's 3 s) and only then is the command
 * dispatched, without awaiting it, so no remote work ever sits between Slack and its ack. In HTTP
 * mode our own receiver (`slack-front-receiver.ts`) writes that 200 for opsdeck's commands and
 * buttons before Bolt runs, and hands Bolt one event per turn of the event loop.
 * Bolt passes `X-Slack-Retry-Num` through as `context.retryNum` but does not de-duplicate: a
 * re-delivery carries the same body, hence the same `trigger_id`-based delivery id, and the
 * router drops the second one (persisted, so a restart in between is covered). In HTTP mode every
 * request first passes `slack-request-guard.ts`: timestamps within 5 minutes either way, and a
 * signature seen before is acknowledged without running anything.
 */
export function createSlackAdapter(options: SlackAdapterOptions): SlackAdapter {
  const { config, secrets, dispatch, redact } = options;
  const log = options.log.child({ platform: "slack" });
  const boltLogger = createBoltLogger(log);
  redact.add(secrets.botToken);
  if (secrets.signingSecret) redact.add(secrets.signingSecret);
  if (secrets.appToken) redact.add(secrets.appToken);

  const slackApiUrl = slackApiBase(config.api_url);
  // One keep-alive agent for every reply: chat.* calls and response_url posts.
  const slackFetch = createSlackFetch();
  const names = options.commands ?? SLACK_COMMANDS;
  const slashNames = new Set(names.map((n) => `/${n}`));
  const buttonPattern = new RegExp(`^${BUTTON_ACTION_PREFIX.replace(/\./g, "\\.")}`);
  /** Our own slash commands and button clicks: their ack is always an empty 200. */
  const acksAtOnce = (body: SlackBody): boolean => {
    if (typeof body["command"] === "string") return slashNames.has(body["command"]);
    const actions: unknown = body["actions"];
    if (body["type"] !== "block_actions" || !Array.isArray(actions) || actions.length === 0) return false;
    return (actions as unknown[]).every((a) => {
      const id = typeof a === "object" && a !== null ? (a as { action_id?: unknown }).action_id : undefined;
      return typeof id === "string" && buttonPattern.test(id);
    });
  };
  const { app, receiver } = createSlackApp<SlackFrontReceiver>(
    config,
    secrets,
    boltLogger,
    (signingSecret) =>
      createSlackFrontReceiver({
        guard: createSlackRequestGuard({ signingSecret, log, ...(options.clock ? { clock: options.clock } : {}) }),
        path: config.path,
        host: config.host,
        port: config.port,
        log,
        boltLogger,
        acksAtOnce,
      }),
    slackFetch.fetch,
  );

  app.error(async (err) => {
    log.error({ err: { message: err.message, code: err.code } }, "slack listener failed");
  });

  const inFlight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>): void => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  /** Runs after the ack: in HTTP mode the receiver wrote it before Bolt ran, one event per event-loop turn. */
  const run = (build: () => Command, replier: SlackReplier): void => {
    let command: Command;
    try {
      command = { ...build(), messageRef: () => replier.ref() };
    } catch (err) {
      const reply: Reply =
        err instanceof OpsError
          ? { status: "failure", title: err.message, nextStep: err.nextStep, visibility: "actor" }
          : { status: "failure", title: "could not read that command", nextStep: "Type /opsdeck help for the list.", visibility: "actor" };
      if (!(err instanceof OpsError)) log.error({ err }, "slack payload could not be turned into a command");
      track(replier.respond(reply).catch((e: unknown) => log.error({ err: e }, "could not post to slack")));
      return;
    }
    track(dispatch(command).catch((err: unknown) => log.error({ err, command: command.name }, "dispatch failed")));
  };

  // One listener for every command: Bolt runs each registered listener's middleware per request,
  // so eleven listeners would cost eleven passes per command.
  const commandPattern = new RegExp(`^/(${names.map((n) => n.replace(/[^a-z0-9_-]/g, "")).join("|")})$`);
  app.command(commandPattern, async ({ command, ack, respond, client, context }) => {
    await ack();
    const payload: SlashCommand = command;
    if (context.retryNum !== undefined) log.info({ retryNum: context.retryNum, reason: context.retryReason, command: payload.command }, "slack re-delivery");
    const replier = createSlackReplier({ client, channel: payload.channel_id, user: payload.user_id, respondUrl: respond }, redact);
    run(() => slashToCommand(payload, replier), replier);
  });

  app.action<BlockAction>({ type: "block_actions", action_id: buttonPattern }, async ({ ack, body, action, respond, client }) => {
    await ack();
    if (action.type !== "button" || typeof action.value !== "string") return;
    const value = action.value;
    const container = body.container;
    const ts = typeof container["message_ts"] === "string" ? container["message_ts"] : body.message?.ts;
    const channel = body.channel?.id ?? (typeof container["channel_id"] === "string" ? container["channel_id"] : "");
    const respondUrl: RespondFn | undefined = body.response_url ? respond : undefined;
    const replier = createSlackReplier(
      { client, channel, user: body.user.id, ...(respondUrl ? { respondUrl } : {}), ...(ts ? { message: { ts, ephemeral: container["is_ephemeral"] === true } } : {}) },
      redact,
    );
    run(() => actionToCommand(body, value, replier), replier);
  });

  let started = false;
  const alertTarget: AlertTarget = config.alert_channel
    ? createSlackAlertTarget({ botToken: secrets.botToken, channel: config.alert_channel, ...(slackApiUrl ? { apiUrl: slackApiUrl } : {}), logger: boltLogger })
    : {
        platform: "slack",
        post: () => Promise.reject(new OpsError("config", "no Slack alert channel is configured", "Set chat.slack.alert_channel to a channel id such as C0123ABCD.")),
      };

  return {
    alertTarget,
    port: () => receiver?.port(),
    async start() {
      try {
        await app.init();
      } catch (err) {
        const code = (err as { data?: { error?: string } }).data?.error;
        throw new OpsError(
          "external_api",
          `Slack did not accept the bot token (${code ?? (err as Error).message})`,
          `Check ${config.bot_token_env} holds the app's Bot User OAuth Token (xoxb-…) and the app is installed in the workspace.`,
          { cause: err },
        );
      }
      if (receiver) {
        await receiver.start();
        log.info({ host: config.host, port: receiver.port(), path: config.path }, "slack HTTP receiver listening");
      } else {
        try {
          await app.start();
        } catch (err) {
          const code = (err as { data?: { error?: string } }).data?.error ?? (err as Error).message;
          throw new OpsError(
            "external_api",
            `Slack did not open a Socket Mode connection (${code})`,
            `Check ${config.app_token_env} holds an app-level token (xapp-…) with connections:write, and that Socket Mode is enabled for the app.`,
            { cause: err },
          );
        }
        log.info("slack socket mode connected");
      }
      started = true;
    },
    /** Stop taking requests, then let commands already running finish their replies. */
    async stop() {
      if (started) {
        started = false;
        if (receiver) await receiver.stop();
        else await app.stop();
      }
      // A deferred command adds its dispatch while the first ones settle: wait until none is left.
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
      slackFetch.close();
    },
  };
}
