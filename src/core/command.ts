/**
 * The platform-neutral model every chat adapter translates to and from.
 * Handlers and operations only ever see these types, never a platform SDK.
 */

export type Platform = "console" | "slack" | "discord" | "telegram" | "job" | "github" | "gitlab";

/** Who asked. `id` is the platform's immutable id, never a display name. */
export interface Actor {
  platform: Platform;
  id: string;
  name: string;
}

/** `slack:U123`, `discord:123`, `telegram:456`, `console:local`. */
export function actorKey(actor: Actor): string {
  return `${actor.platform}:${actor.id}`;
}

export type ReplyStatus = "info" | "progress" | "success" | "warning" | "failure";

export interface ReplyField {
  label: string;
  value: string;
}

/**
 * A button is a command the actor could have typed. Clicking it dispatches that command
 * through the router again, so it is parsed, validated and authorised like typed text:
 * a forged button value grants nothing a typed command would not.
 */
export interface Button {
  /** The command text a click dispatches, e.g. `/preview destroy feature-x --yes`. */
  command: string;
  label: string;
  style?: "primary" | "danger" | "default";
  /** When set, platforms ask for confirmation with this text before dispatching. */
  confirm?: string;
}

export interface Reply {
  status: ReplyStatus;
  title: string;
  lines?: string[];
  fields?: ReplyField[];
  /** Preformatted text such as a log tail; rendered as a code block. */
  code?: string;
  buttons?: Button[];
  /** What to do next, for failures. */
  nextStep?: string;
  /** `actor`: only the person who typed the command should see it (ephemeral). */
  visibility?: "channel" | "actor";
}

/** Streams progress of a long operation: each call edits the same message. */
export type ProgressFn = (step: string) => Promise<void>;

export interface Command {
  /** Command name without the slash: `preview`. */
  name: string;
  /** Arguments after the name, split on white space. */
  args: string[];
  /** The raw text as typed (for audit, redacted before it is written). */
  text: string;
  actor: Actor;
  channelId: string;
  /** The platform's own delivery id, for de-duplication of retried deliveries. */
  deliveryId?: string;
  /** Post a new message (the first reply). */
  respond(reply: Reply): Promise<void>;
  /** Edit the message posted by the last `respond` (progress, final result). */
  update(reply: Reply): Promise<void>;
  /**
   * Where the replies of this command went (the message `update` edits), once one was posted;
   * `undefined` when the platform cannot edit it later (ephemeral, response_url, console).
   */
  messageRef?: () => MessageRef | undefined;
}

/**
 * A posted chat message that can be edited later, also after a restart (persisted on approval
 * requests). Slack: channel id + `ts`; Discord: channel id + message id; Telegram: chat id + message_id.
 */
export interface MessageRef {
  platform: Platform;
  channel: string;
  id: string;
}

/** What every front end calls with a `Command`: the router's `dispatch`. */
export type DispatchFn = (command: Command) => Promise<Reply>;

/** What the router needs to authorise a command before running it. */
export interface Permission {
  /** The rule key: `preview`, or `preview destroy`. Rules in config may name either. */
  key: string;
  /** Read-only commands are open to every known user. */
  readOnly: boolean;
  /** The environment it acts on, when there is one (for env-scoped rules). */
  env?: string;
}
