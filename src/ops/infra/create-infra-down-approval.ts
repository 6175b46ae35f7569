import type { ApprovalPolicy, Environments } from "../../config/environments-config.js";
import type { Access } from "../../config/schema.js";
import type { Command, ProgressFn, Reply } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { ApprovalDesk } from "../approvals/create-approval-desk.js";
import type { ApprovalRecord, Approvals } from "../approvals/create-approvals.js";
import type { DownDescription } from "./infra-down.js";
import { ownValue } from "../../core/own-value.js";

/**
 * The policy for an env that has none of its own: any admin other than the requester approves,
 * once, within 30 minutes. Admins may already run every command, so this adds the second person
 * without handing the decision to anyone new.
 */
export const DEFAULT_INFRA_DOWN_POLICY: ApprovalPolicy = { approvers: ["admin"], required: 1, expiry: 30 * 60_000, emergency_rollback_roles: [] };

/** The hook `/infra down` uses for its approval: a request on the approval desk, decided like every other. */
export interface InfraDownApproval {
  /** `/infra down <env>`: open an approval request (or show the open one) and return the reply to post. */
  request(input: { command: Command; env: string; description: DownDescription; progress?: ProgressFn }): Promise<Reply>;
}

export interface InfraDownApprovalOptions {
  desk: ApprovalDesk;
  /** Read-only: finds the open request of an env. */
  approvals: Approvals;
  /** Used here only to say in the request who can approve; role checks happen in the desk. */
  access: Access;
  /** The env's approval policy (see `infraDownPolicyOf`); the desk is given the same one. */
  policyOf(env: string): ApprovalPolicy;
  /** The server `/infra down <env>` deletes (`<name_prefix>-<env>`); the request is bound to it. */
  serverNameFor(env: string): string;
  /** The request message with its Approve / Reject buttons; shaped in handlers (buttons carry chat commands), given by wiring. */
  requestReply(record: ApprovalRecord, context: InfraDownRequestContext): Reply;
  clock?: () => Date;
}

/** What the request message says besides the record: what the down does, who can approve, whether it is the open one shown again. */
export interface InfraDownRequestContext {
  lines: string[];
  approvers: string;
  reused: boolean;
}

function approverText(access: Access, policy: ApprovalPolicy): string {
  if (policy.approvers.length === 0) return "nobody (the approver list is empty)";
  const holders = policy.approvers.reduce((n, role) => n + (ownValue(access.roles, role)?.length ?? 0), 0);
  return `someone with the role ${policy.approvers.join(" or ")} (${holders} holder(s)), other than the requester`;
}

/**
 * The approval step of `/infra down <env>` on the approval desk: one `infra-down` request per env,
 * bound to the env and its server name (the record's `ref`). While a request is open and unexpired,
 * asking again shows that same request instead of opening a second one. Decisions arrive as
 * `/deploy approve|reject <id>` and the desk runs the approved down (`createInfraDownRunner`).
 */
export function createInfraDownApproval(options: InfraDownApprovalOptions): InfraDownApproval {
  const { desk, approvals, access } = options;
  const clock = options.clock ?? (() => new Date());

  const openFor = (env: string): ApprovalRecord | undefined => {
    const now = clock().getTime();
    return approvals
      .pending()
      .filter((r) => r.kind === "infra-down" && r.env === env && Date.parse(r.expiresAt) > now)
      .sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt))
      .at(-1);
  };

  return {
    async request({ command, env, description, progress }) {
      if (!description.actionable) throw new OpsError("not_found", description.title, "Nothing to take down; see /infra status.");
      const policy = options.policyOf(env);
      const existing = openFor(env);
      const approvers = approverText(access, policy);
      if (existing) return options.requestReply(existing, { lines: description.lines, approvers, reused: true });
      const replyFor = (record: ApprovalRecord): Reply => options.requestReply(record, { lines: description.lines, approvers, reused: false });
      return desk.request(command, { kind: "infra-down", env, ref: options.serverNameFor(env), currentTag: null, migrations: false, replyFor }, progress);
    },
  };
}

/**
 * The infra-down policy from the deploy environments: an env's own `approval` policy when it
 * names approvers, otherwise `DEFAULT_INFRA_DOWN_POLICY` — an explicit `approvers: []` cannot be
 * told apart from a missing one after parsing, and a preprod env with no approval section should
 * not make `/infra down` impossible.
 */
export function infraDownPolicyFrom(environments: Environments): (env: string) => ApprovalPolicy | undefined {
  return (env) => {
    const cfg = Object.hasOwn(environments, env) ? environments[env] : undefined;
    return cfg && cfg.approval.approvers.length > 0 ? cfg.approval : undefined;
  };
}

/** `infraDownPolicyFrom` with the default filled in: what the desk and the request use. */
export function infraDownPolicyOf(environments: Environments): (env: string) => ApprovalPolicy {
  const own = infraDownPolicyFrom(environments);
  return (env) => own(env) ?? DEFAULT_INFRA_DOWN_POLICY;
}
