import type { ApprovalPolicy, Environments } from "../../config/environments-config.js";
import type { AuditLog } from "../../core/audit-log.js";
import { actorKey, type Actor, type Command, type MessageRef, type Platform, type ProgressFn, type Reply } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Notifier } from "../../core/notifier.js";
import type { Redactor } from "../../core/redact.js";
import { APPROVAL_ID, type ApprovalKind, type ApprovalRecord, type Approvals, type ApprovalRequestInput, type Decision } from "./create-approvals.js";

/** Runs what an approved request asked for; reports through `progress`, returns the final reply. */
export type ApprovedRunFn = (record: ApprovalRecord, requester: Actor, approvers: string[], progress: ProgressFn) => Promise<Reply>;

export interface ApprovalDeskOptions {
  approvals: Approvals;
  environments: Environments;
  notifier: Notifier;
  audit: AuditLog;
  redact: Redactor;
  log?: Logger;
  clock?: () => Date;
  /** What to run once a request of each kind is approved (deploy, rollback; other features add theirs). */
  runners: Partial<Record<ApprovalKind, ApprovedRunFn>>;
  /** The policy of kinds whose env is not a deploy environment (infra-down); default: `environments[env].approval`. */
  policies?: Partial<Record<ApprovalKind, (env: string) => ApprovalPolicy>>;
  /** The request and decided messages; shaped in handlers (their buttons carry chat commands), given here by wiring. */
  replies: ApprovalReplies;
}

/** The chat messages of a request: as posted (with Approve / Reject buttons), and once decided (`note` says how). */
export interface ApprovalReplies {
  request(record: ApprovalRecord): Reply;
  closed(record: ApprovalRecord, note: string): Reply;
}

/** What a feature asks the desk for; `replyFor` shapes its own request message (default: `replies.request`). */
export type DeskRequestInput = Omit<ApprovalRequestInput, "requester" | "channelId" | "policy"> & { replyFor?: (record: ApprovalRecord) => Reply };

/**
 * The chat side of approvals: posts requests with buttons (to the channel and the alert channel),
 * applies clicks, audits and announces every decision, edits the request message as it is
 * decided, and runs approved work. The request message's reference (platform, channel, id) is
 * persisted on the record: while the process lives the requester's command edits it; after a
 * restart the notifier's `edit` (the platform's alert target) does.
 */
export interface ApprovalDesk {
  /**
   * Open a request; the returned reply is the request message. With `progress`, a first message is
   * posted before the record is written, so its reference is persisted with the request (the
   * router's final reply edits that same message).
   */
  request(command: Command, input: DeskRequestInput, progress?: ProgressFn): Promise<Reply>;
  decide(command: Command, id: string, decision: Decision, progress: ProgressFn): Promise<Reply>;
  /** Expire overdue requests, update their messages and announce it; the app's one periodic timer calls it. */
  expireDue(): Promise<ApprovalRecord[]>;
}

const PLATFORMS: ReadonlySet<string> = new Set<Platform>(["console", "slack", "discord", "telegram", "job", "github", "gitlab"]);

/** The command that asks for the same thing again. */
function askAgain(record: ApprovalRecord): string {
  if (record.kind === "rollback") return `rollback ${record.env} --to ${record.ref}`;
  if (record.kind === "restore") return `backup restore ${record.env} ${record.ref.replace(/-\d{8}T\d{6}Z$/, "")} ${record.ref}${record.source === "offsite" ? " --from offsite" : ""}`;
  if (record.kind === "infra-down") return `infra down ${record.env}`;
  return `deploy ${record.env} ${record.ref}`;
}

function actorFromKey(key: string, name: string): Actor {
  const i = key.indexOf(":");
  return { platform: key.slice(0, i) as Platform, id: key.slice(i + 1), name };
}

export function createApprovalDesk(options: ApprovalDeskOptions): ApprovalDesk {
  const { approvals, environments, notifier, audit, redact, log, replies } = options;
  const clock = options.clock ?? (() => new Date());
  /** id → edit the request message (the requester's command). */
  const messages = new Map<string, (reply: Reply) => Promise<void>>();

  const policyOf = (env: string, kind?: ApprovalKind): ApprovalPolicy => {
    const own = kind ? options.policies?.[kind] : undefined;
    if (own) return own(env);
    const cfg = Object.hasOwn(environments, env) ? environments[env] : undefined;
    if (!cfg) throw new OpsError("config", `environment ${env} of this request is no longer configured`, "Nothing was run; ask for a new request.");
    return cfg.approval;
  };

  const storedRef = (id: string): MessageRef | undefined => {
    const m = approvals.get(id)?.message;
    return m && PLATFORMS.has(m.platform) ? { platform: m.platform as Platform, channel: m.channel, id: m.id } : undefined;
  };

  const editRequest = async (id: string, reply: Reply): Promise<void> => {
    const edit = messages.get(id);
    if (edit) {
      await edit(redact.value(reply)).catch((err: unknown) => log?.warn({ err, id }, "could not edit the approval request message"));
      return;
    }
    // After a restart: the persisted reference, edited through the platform's bot.
    const ref = storedRef(id);
    if (ref && notifier.edit && !(await notifier.edit(ref, reply))) log?.warn({ id, platform: ref.platform }, "could not edit the approval request message");
  };

  const announce = async (reply: Reply): Promise<void> => {
    await notifier.notify(reply).catch((err: unknown) => log?.warn({ err }, "could not announce to the alert channel"));
  };

  const auditDecision = async (actor: Actor, record: Pick<ApprovalRecord, "id" | "kind" | "env" | "ref">, decision: "allowed" | "denied", result: "success" | "failure" | "info" | "denied", detail: string): Promise<void> => {
    await audit
      .record({
        time: clock().toISOString(),
        actor: actorKey(actor),
        actorName: actor.name,
        command: "approval",
        args: [record.id, record.kind, record.env, record.ref],
        decision,
        result,
        durationMs: 0,
        detail,
      })
      .catch((err: unknown) => log?.error({ err }, "audit write failed"));
  };

  const desk: ApprovalDesk = {
    async request(command, { replyFor, ...input }, progress) {
      const policy = policyOf(input.env, input.kind);
      if (progress && !command.messageRef?.()) await progress(`asking for a second person's approval to ${input.kind} ${input.ref} to ${input.env}…`);
      const record = await approvals.request({ ...input, requester: command.actor, channelId: command.channelId, policy });
      messages.set(record.id, (reply) => command.update(reply));
      const ref = command.messageRef?.();
      if (ref) await approvals.attachMessage(record.id, ref);
      const reply = replyFor ? replyFor(record) : replies.request(record);
      await announce(reply);
      await auditDecision(command.actor, record, "allowed", "info", `requested approval for ${record.kind} of ${record.ref} to ${record.env}`);
      return reply;
    },

    async decide(command, id, decision, progress) {
      if (!APPROVAL_ID.test(id)) {
        throw new OpsError("bad_input", "that is not an approval request id", "Use the buttons on the request, or /deploy approve <8 hex digits>.");
      }
      const known = approvals.get(id);
      if (!known) throw new OpsError("not_found", `no approval request ${id}`, "Check the id on the request message; decided requests are kept for 30 days.");
      // A request nothing in this bot runs must not be used up here.
      if (decision === "approve" && !options.runners[known.kind]) {
        throw new OpsError("config", `request ${id} is a ${known.kind} request, and nothing in this bot runs those`, "Enable the feature that handles it, or reject the request.");
      }
      let outcome;
      try {
        outcome = await approvals.decide(id, command.actor, decision, policyOf(known.env, known.kind));
      } catch (err) {
        if (err instanceof OpsError && err.code === "forbidden") {
          await auditDecision(command.actor, known, "denied", "denied", `${decision} refused: ${err.message}`);
        }
        throw err;
      }
      const { record } = outcome;
      if (outcome.kind === "expired") {
        const note = `Expired at ${record.expiresAt} without a decision; nothing was run.`;
        await editRequest(id, replies.closed(record, note));
        messages.delete(id);
        await auditDecision(command.actor, record, "allowed", "failure", `${decision} refused: request expired`);
        await announce({ status: "warning", title: `approval request ${id} (${record.kind} ${record.ref} to ${record.env}) expired`, lines: [note] });
        throw new OpsError("conflict", `approval request ${id}${record.kind === "infra-down" ? ` for /infra down ${record.env}` : ""} expired at ${record.expiresAt}; nothing was run`, `Ask again: /${askAgain(record)}`);
      }
      if (outcome.kind === "rejected") {
        const note = `Rejected by ${command.actor.name}; nothing was run.`;
        await editRequest(id, replies.closed(record, note));
        messages.delete(id);
        await auditDecision(command.actor, record, "allowed", "success", `rejected ${record.kind} of ${record.ref} to ${record.env}`);
        await announce({ status: "info", title: `${command.actor.name} rejected ${record.kind} of ${record.ref} to ${record.env}`, lines: [`requested by ${record.requesterName}`] });
        return { status: "info", title: `rejected: ${record.kind} of ${record.ref} to ${record.env}`, lines: [note] };
      }
      if (outcome.kind === "recorded") {
        await auditDecision(command.actor, record, "allowed", "info", `approval ${record.approvals.length}/${record.required}`);
        return { status: "info", title: `approval recorded (${record.approvals.length} of ${record.required})`, lines: [`${record.kind} of ${record.ref} to ${record.env} waits for more approvals.`] };
      }

      await auditDecision(command.actor, record, "allowed", "success", `approved ${record.kind} of ${record.ref} to ${record.env} requested by ${record.requester}`);
      await announce({ status: "info", title: `${command.actor.name} approved ${record.kind} of ${record.ref} to ${record.env}`, lines: [`requested by ${record.requesterName}`] });
      await editRequest(id, replies.closed(record, "Approved; running now."));
      const runner = options.runners[record.kind];
      if (!runner) {
        throw new OpsError("config", `approved, but nothing in this bot runs ${record.kind} requests`, "Run it by hand, or enable the feature that handles it.");
      }
      const both: ProgressFn = async (step) => {
        await progress(step).catch((err: unknown) => log?.warn({ err, id }, "could not post progress"));
        await editRequest(id, { status: "progress", title: `${record.kind} of ${record.ref} to ${record.env} (approved by ${command.actor.name})`, lines: [step] });
      };
      let result: Reply;
      try {
        result = await runner(record, actorFromKey(record.requester, record.requesterName), record.approvals.map((v) => v.actor), both);
      } catch (err) {
        // It could not start (busy, lock held, host down): the approval is used up, so say so everywhere.
        const failure: Reply =
          err instanceof OpsError
            ? { status: "failure", title: `approved ${record.kind} of ${record.ref} to ${record.env} did not run: ${err.message}`, nextStep: `${err.nextStep} Then ask for a new approval.` }
            : { status: "failure", title: `approved ${record.kind} of ${record.ref} to ${record.env} failed unexpectedly`, nextStep: "This is a bug in opsdeck; the details are in its log. Ask for a new approval once it is fixed." };
        await editRequest(id, failure);
        messages.delete(id);
        await announce(failure);
        throw err;
      }
      await editRequest(id, result);
      messages.delete(id);
      await announce(result);
      return result;
    },

    async expireDue() {
      const expired = await approvals.expireDue();
      for (const record of expired) {
        const note = `Expired at ${record.expiresAt} without a decision; nothing was run.`;
        await editRequest(record.id, replies.closed(record, note));
        messages.delete(record.id);
        await announce({ status: "warning", title: `approval request ${record.id} (${record.kind} ${record.ref} to ${record.env}) expired`, lines: [note] });
      }
      return expired;
    },
  };
  return desk;
}
