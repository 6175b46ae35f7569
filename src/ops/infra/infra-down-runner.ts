import { OpsError } from "../../core/errors.js";
import type { ApprovedRunFn } from "../approvals/create-approval-desk.js";
import type { InfraOps } from "./create-infra-ops.js";
import { downReply } from "./infra-down-reply.js";

/**
 * The desk's runner for approved `infra-down` requests: snapshot, then delete the server the
 * request was bound to. If the env maps to another server by now (config changed across a
 * restart), it refuses instead of deleting a server nobody approved. The operation is journaled
 * as the approver who completed the approval.
 */
export function createInfraDownRunner(ops: Pick<InfraOps, "env" | "down">, serverNameFor: (env: string) => string = (env) => ops.env(env).serverName): ApprovedRunFn {
  return async (record, requester, approvers, progress) => {
    const server = serverNameFor(record.env);
    if (record.ref !== server) {
      throw new OpsError("conflict", `approval request ${record.id} was for deleting ${record.ref}, but ${record.env} now maps to ${server}; nothing was run`, `Type /infra down ${record.env} to ask for a new approval.`);
    }
    const actor = approvers.at(-1) ?? `${requester.platform}:${requester.id}`;
    return downReply(record.env, await ops.down(record.env, { actor, progress, approved: true }));
  };
}
