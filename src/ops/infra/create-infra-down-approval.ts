import type { ApprovalPolicy, Environments } from "../../config/environments-config.js";
import type { Access } from "../../config/schema.js";
import type { Actor, Reply } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { ApprovalRecord } from "../approvals/approval-record.js";
import type { Approvals } from "../approvals/create-approvals.js";
import type { DownDescription } from "./infra-down.js";
import { ownValue } from "../../core/own-value.js";

/**
 * The policy for an env that has none of its own: any admin other than the requester approves,
 * once, within 30 minutes. Admins may already run every command, so this adds the second person
 * without handing the decision to anyone new.
 */
export const DEFAULT_INFRA_DOWN_POLICY: ApprovalPolicy = { approvers: ["admin"], required: 1, expiry: 30 * 60_000, emergency_rollback_roles: [] };

/** The hook `/infra down` uses for its approval (persisted requests, requester ≠ approver, expiry). */
export interface InfraDownApproval {
  /** `/infra down <env>`: open an approval request and return the reply to post (with its buttons). */
  request(input: { env: string; requester: Actor; channelId: string; description: DownDescription }): Promise<Reply>;
  /**
   * `/infra down <env> --approved-by-button` clicked by `actor`: record the approval; true when the
   * request for this env is now approved (and consumed, so one approval takes the server down once).
   */
  approve(input: { env: string; actor: Actor }): Promise<boolean>;
}

export interface InfraDownApprovalOptions {
  approvals: Approvals;
  /**
   * The same access config the `approvals` instance checks approvers against; used here only to
   * say in the request who can approve. Role checks happen in `approvals.decide`.
   */
  access: Access;
  /** The env's approval policy from `environments`; `undefined` falls back to `DEFAULT_INFRA_DOWN_POLICY`. */
  policyFor(env: string): ApprovalPolicy | undefined;
  /**
   * The name of the server `/infra down <env>` deletes (`<name_prefix>-<env>`). The request is
   * bound to it: if the env maps to another server by the time someone approves (config changed
   * across a restart), the click is refused instead of deleting a server nobody approved.
   */
  serverNameFor(env: string): string;
  clock?: () => Date;
}

const BUTTON_FLAG = "--approved-by-button";

function isInfraDownFor(env: string) {
  return (r: ApprovalRecord): boolean => r.kind === "infra-down" && r.env === env;
}

function approverText(access: Access, policy: ApprovalPolicy): string {
  if (policy.approvers.length === 0) return "nobody (the approver list is empty)";
  const holders = policy.approvers.reduce((n, role) => n + (ownValue(access.roles, role)?.length ?? 0), 0);
  return `someone with the role ${policy.approvers.join(" or ")} (${holders} holder(s)), other than the requester`;
}

function requestReply(record: ApprovalRecord, lines: string[], policy: ApprovalPolicy, access: Access, reused: boolean): Reply {
  return {
    status: "warning",
    title: `approval needed: /infra down ${record.env} (snapshot, then delete ${record.ref})`,
    lines: [
      ...(reused ? [`A request for this is already open (asked by ${record.requesterName}); approving it runs it.`] : []),
      ...lines,
      `Needs ${record.required} approval(s) from ${approverText(access, policy)}; expires ${record.expiresAt}.`,
    ],
    fields: [
      { label: "environment", value: record.env },
      { label: "server", value: record.ref },
      { label: "requester", value: record.requesterName },
      { label: "request", value: record.id },
    ],
    // The handler has no reject flag for /infra down; an unapproved request simply expires.
    buttons: [{ command: `/infra down ${record.env} ${BUTTON_FLAG}`, label: "Approve: snapshot and delete", style: "danger", confirm: `Snapshot and delete ${record.ref}?` }],
    visibility: "channel",
  };
}

/**
 * The approval step of `/infra down <env>` over the persisted approvals (`createApprovals`).
 *
 * - `request` opens one `infra-down` request per env, bound to the env and its server name
 *   (stored as the record's `ref`). While a request is open and unexpired, asking again shows that
 *   same request instead of opening a second one: the button names only the env, so two open
 *   requests would make it ambiguous which one a click approves.
 * - `approve` applies a click to the open request through `approvals.decide`, so the checks and
 *   the single pending → approved transition are the ones deploys use (requester ≠ approver,
 *   approver role, expiry, one winner among concurrent clicks). It returns true only for the click
 *   that completes the approval; the request is then no longer pending, so a later click finds
 *   nothing and is refused. An approval is used up even if the down itself then fails (busy,
 *   snapshot error): ask again.
 */
export function createInfraDownApproval(options: InfraDownApprovalOptions): InfraDownApproval {
  const { approvals, access } = options;
  const clock = options.clock ?? (() => new Date());
  const policyOf = (env: string): ApprovalPolicy => options.policyFor(env) ?? DEFAULT_INFRA_DOWN_POLICY;

  /** Open requests for the env, oldest first; `live` are those not yet past their expiry. */
  const open = (env: string): { all: ApprovalRecord[]; live: ApprovalRecord[] } => {
    const all = approvals
      .pending()
      .filter(isInfraDownFor(env))
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
    const now = clock().getTime();
    return { all, live: all.filter((r) => Date.parse(r.expiresAt) > now) };
  };

  return {
    async request({ env, requester, channelId, description }) {
      if (!description.actionable) throw new OpsError("not_found", description.title, "Nothing to take down; see /infra status.");
      const policy = policyOf(env);
      const existing = open(env).live.at(-1);
      if (existing) return requestReply(existing, description.lines, policy, access, true);
      const record = await approvals.request({ kind: "infra-down", env, ref: options.serverNameFor(env), currentTag: null, migrations: false, requester, channelId, policy });
      return requestReply(record, description.lines, policy, access, false);
    },

    async approve({ env, actor }) {
      const { all, live } = open(env);
      // An overdue request still marked pending is decided too: `decide` marks it expired and says so.
      const target = live.at(-1) ?? all.at(-1);
      if (!target) {
        throw new OpsError("not_found", `no open approval request for /infra down ${env} (it was already approved, or it expired)`, `Type /infra down ${env} to ask for a new one.`);
      }
      const server = options.serverNameFor(env);
      if (target.ref !== server) {
        throw new OpsError("conflict", `approval request ${target.id} was for deleting ${target.ref}, but ${env} now maps to ${server}; nothing was run`, `Type /infra down ${env} to ask for a new approval.`);
      }
      const outcome = await approvals.decide(target.id, actor, "approve", policyOf(env));
      if (outcome.kind === "expired") {
        throw new OpsError("conflict", `approval request ${target.id} for /infra down ${env} expired at ${outcome.record.expiresAt}; nothing was run`, `Type /infra down ${env} to ask again.`);
      }
      return outcome.kind === "approved";
    },
  };
}

/**
 * `policyFor` from the deploy environments: an env's own `approval` policy when it names
 * approvers. An env that is not a deploy environment, or one without an `approval.approvers` list
 * (the schema fills in an empty one), gets `undefined`, i.e. `DEFAULT_INFRA_DOWN_POLICY` — an
 * explicit `approvers: []` cannot be told apart from a missing one after parsing, and a
 * preprod env with no approval section should not make `/infra down` impossible.
 */
export function infraDownPolicyFrom(environments: Environments): (env: string) => ApprovalPolicy | undefined {
  return (env) => {
    const cfg = Object.hasOwn(environments, env) ? environments[env] : undefined;
    return cfg && cfg.approval.approvers.length > 0 ? cfg.approval : undefined;
  };
}
