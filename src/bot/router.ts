import { closest } from "fastest-levenshtein";
import { createRequire } from "node:module";
import type { RateLimiterMemory as RateLimiterMemoryClass, RateLimiterRes as RateLimiterResClass } from "rate-limiter-flexible";
import { actorKey, type Command, type Reply } from "../core/command.js";
import type { AuditLog } from "../core/audit-log.js";
import type { AuthorizeFn } from "../core/authorize.js";
import { OpsError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Metrics } from "../core/metrics.js";
import type { Redactor } from "../core/redact.js";
import { commandInputRefusal, escapeEcho, refuseTypedSecret, showDisallowedChars } from "../core/validate.js";
import type { Handler } from "../handlers/handler.js";
import { notConfiguredMessage, type CommandSpec } from "../core/command-spec.js";
import { COMMAND_SPECS } from "../handlers/registry.js";
import { createRefusalTally, type RefusalKind } from "../core/refusal-tally.js";
import { createDeliveryLedger } from "../store/delivery-ledger.js";
import type { Store } from "../store/store.js";

export interface RouterOptions {
  handlers: Handler[];
  /** Every declared command (default: the registry). A declared one without a handler is "not configured here". */
  specs?: readonly CommandSpec[];
  authorize: AuthorizeFn;
  audit: AuditLog;
  log: Logger;
  metrics: Metrics;
  redact: Redactor;
  store: Store;
  /** Commands one identity (platform:id) may send per minute; 0 or unset = no limit (the app passes the config value). */
  commandsPerMinute?: number;
  /** How long a delivery id is remembered for de-duplication. */
  dedupeMs?: number;
  clock?: () => Date;
}

export interface Router {
  /** Run a command and send its replies through `command.respond`/`update`. Returns the final reply. */
  dispatch(command: Command): Promise<Reply>;
  handlers(): Handler[];
  /** Write the refusal counts still pending to the audit log. */
  close(): Promise<void>;
}


/** Replies leave through here: every string is redacted, whatever the handler put in. */
function redactReply(redact: Redactor, reply: Reply): Reply {
  return redact.value(reply);
}

/** `/help`: the handlers' own declarations, then the declared commands this config leaves off. */
export function helpReply(handlers: Handler[], specs: readonly CommandSpec[] = COMMAND_SPECS): Reply {
  const names = new Set(handlers.map((h) => h.name));
  const help = specs.find((s) => s.name === "help");
  const off = specs.filter((s) => !names.has(s.name) && s.name !== "help");
  return {
    status: "info",
    title: "opsdeck commands",
    lines: [
      ...handlers.map((h) => `/${h.name} — ${h.summary}`),
      `/help — ${help?.summary ?? "this list"}`,
      ...off.map((s) => `/${s.name} — not configured here (add ${s.section ?? s.name}: to the config)`),
    ],
    code: [...handlers.flatMap((h) => h.usage), ...(help?.usage ?? ["/help"])].join("\n"),
  };
}

// The package's index loads every backend it supports (Redis, Mongo, Postgres, DynamoDB, …: about
// 30 files) at import; the router needs the in-memory limiter's two files, and only when a limit is set.
const requireCjs = createRequire(import.meta.url);
const rateLimiter = (): { RateLimiterMemory: typeof RateLimiterMemoryClass; RateLimiterRes: typeof RateLimiterResClass } => ({
  RateLimiterMemory: requireCjs("rate-limiter-flexible/lib/RateLimiterMemory.js") as typeof RateLimiterMemoryClass,
  RateLimiterRes: requireCjs("rate-limiter-flexible/lib/RateLimiterRes.js") as typeof RateLimiterResClass,
});

/**
 * Delivery ids are kept at least this long, whatever is configured: a signed Slack request is
 * accepted while its timestamp is within 5 minutes either way, so it can be presented during
 * 10 minutes; one more minute covers clock steps.
 */
const MIN_DEDUPE_MS = 11 * 60_000;

export function createRouter(options: RouterOptions): Router {
  const { handlers, authorize, audit, log, metrics, redact, store } = options;
  const clock = options.clock ?? (() => new Date());
  const dedupeMs = Math.max(options.dedupeMs ?? MIN_DEDUPE_MS, MIN_DEDUPE_MS);
  const byName = new Map(handlers.map((h) => [h.name, h]));
  const specs = options.specs ?? COMMAND_SPECS;
  const helpNames = new Set(["help", ...(specs.find((s) => s.name === "help")?.aliases ?? [])]);
  const declared = (name: string): CommandSpec | undefined => specs.find((s) => s.name === name || s.aliases?.includes(name));
  const perMinute = options.commandsPerMinute ?? 0;
  const limiting = perMinute > 0 ? rateLimiter() : undefined;
  const limiter = limiting ? new limiting.RateLimiterMemory({ points: perMinute, duration: 60 }) : undefined;

  /** Seconds to wait when the actor is over the limit, else 0. Scheduled jobs are never limited. */
  async function overLimit(command: Command): Promise<number> {
    if (!limiter || command.actor.platform === "job") return 0;
    try {
      await limiter.consume(actorKey(command.actor));
      return 0;
    } catch (res) {
      if (limiting && res instanceof limiting.RateLimiterRes) return Math.max(1, Math.ceil(res.msBeforeNext / 1000));
      throw res;
    }
  }

  // Refused requests (strangers, over the limit) touch memory only: no state write, and one
  // audit line per identity per minute with a count. Only deliveries that run are persisted.
  const ledger = createDeliveryLedger({ store, retentionMs: dedupeMs, clock });
  const tally = createRefusalTally({ audit, clock, onError: (err) => log.error({ err }, "audit write failed") });
  const deliveryKey = (command: Command): string | undefined => (command.deliveryId ? `${command.actor.platform}:${command.deliveryId}` : undefined);
  /** Unknown = may not even run read-only commands (holds no role); jobs are always known. */
  const isStranger = (command: Command): boolean => !authorize(command.actor, { key: command.name, readOnly: true }).allowed;

  async function dispatch(received: Command): Promise<Reply> {
    const started = performance.now();
    // The input allowlist, for every front end: text that is not printable ASCII is refused below,
    // and from here on only its `<U+202E>` form is recorded or echoed.
    const badInput = commandInputRefusal(received);
    const command: Command = badInput ? { ...received, name: showDisallowedChars(received.name), args: received.args.map(showDisallowedChars) } : received;
    let posted = false;
    /** `safe` must already be redacted. */
    const sendSafe = async (safe: Reply): Promise<void> => {
      if (posted) await command.update(safe);
      else {
        posted = true;
        await command.respond(safe);
      }
    };
    const progress = async (step: string): Promise<void> => {
      await sendSafe(redactReply(redact, { status: "progress", title: `/${command.name} ${command.args.join(" ")}`.trim(), lines: [step] }));
    };

    let decision: "allowed" | "denied" | "invalid" = "invalid";
    let reply: Reply;
    let refusal: RefusalKind | undefined;
    const key = deliveryKey(command);
    if (key && !ledger.claim(key)) {
      log.info({ delivery: command.deliveryId }, "duplicate delivery ignored");
      return { status: "info", title: "duplicate delivery ignored" };
    }
    try {
      const wait = await overLimit(command);
      if (isStranger(command)) refusal = "unknown identity";
      else if (wait > 0) refusal = "over the rate limit";
      if (wait > 0) {
        throw new OpsError("busy", `too many commands: the limit is ${perMinute} a minute per person`, `Wait ${wait} s and try again.`);
      }
      refuseTypedSecret(redact, command);
      if (badInput) throw badInput;
      if (helpNames.has(command.name)) {
        decision = "allowed";
        reply = helpReply(handlers, specs);
      } else {
        const handler = byName.get(command.name);
        if (!handler) {
          const spec = declared(command.name);
          if (spec) throw new OpsError("config", notConfiguredMessage(spec), "Ask an admin to add that section to opsdeck.yaml and restart opsdeck.");
          const names = [...new Set([...byName.keys(), ...specs.map((s) => s.name)])];
          const near = command.name ? closest(command.name, names) : undefined;
          throw new OpsError("unknown_command", `unknown command "/${escapeEcho(command.name, 40)}"`, near ? `Did you mean /${near}? Type /help for the list.` : "Type /help for the list.");
        }
        // Parse once: what is authorised is what runs.
        const prepared = handler.prepare(command.args);
        const permission = prepared.permission;
        const verdict = authorize(command.actor, permission);
        if (!verdict.allowed) {
          decision = "denied";
          throw new OpsError("forbidden", `not allowed: ${verdict.reason}`, "Ask someone who holds that role, or an admin to grant it.");
        }
        decision = "allowed";
        // On disk before it runs: a replay after a crash or restart is still refused. A read-only
        // command has nothing to repeat, so its delivery is claimed in memory only: no state write
        // (a serialisation of the whole state plus two fsyncs) sits between it and its reply.
        if (key && !permission.readOnly) await ledger.persist(key);
        reply = await prepared.run(command, progress);
      }
    } catch (err) {
      if (err instanceof OpsError) {
        reply = { status: "failure", title: err.message, nextStep: err.nextStep, visibility: "actor", ...(err.details ? { code: err.details } : {}) };
      } else {
        log.error({ err, command: command.name }, "command failed unexpectedly");
        reply = { status: "failure", title: `/${command.name} failed unexpectedly`, nextStep: "This is a bug in opsdeck; the details are in its log.", visibility: "actor" };
      }
    }
    const seconds = (performance.now() - started) / 1000;
    const outcome = decision === "denied" ? "denied" : reply.status;
    metrics.commands.inc({ command: byName.has(command.name) || command.name === "help" ? command.name : "unknown", outcome });
    metrics.commandDuration.observe({ command: byName.has(command.name) ? command.name : "other" }, seconds);
    if (refusal) {
      await tally.note({ kind: refusal, actor: actorKey(command.actor), actorName: command.actor.name, command: command.name });
    } else {
      await audit
        .record({
          time: clock().toISOString(),
          actor: actorKey(command.actor),
          actorName: command.actor.name,
          command: command.name,
          args: command.args,
          decision,
          result: decision === "denied" ? "denied" : reply.status === "progress" ? "info" : reply.status,
          durationMs: Math.round(seconds * 1000),
          ...(reply.status === "failure" ? { detail: reply.title } : {}),
        })
        .catch((err: unknown) => log.error({ err }, "audit write failed"));
    }
    const safe = redactReply(redact, reply);
    try {
      await sendSafe(safe);
    } catch (err) {
      log.error({ err, command: command.name }, "could not deliver the reply");
    }
    return safe;
  }

  return { dispatch, handlers: () => handlers, close: () => tally.close() };
}
