import type { ApprovedRunFn } from "../approvals/create-approval-desk.js";
import type { DeployOp } from "./create-deploy-op.js";
import { deployOutcomeReply } from "./deploy-outcome-reply.js";

/** What an approved deploy or rollback request runs: exactly the env and ref it was asked for. */
export function createDeployRunners(deploy: DeployOp): { deploy: ApprovedRunFn; rollback: ApprovedRunFn } {
  const runner =
    (kind: "deploy" | "rollback"): ApprovedRunFn =>
    async (record, requester, approvers, progress) => {
      const outcome = await deploy.run({ env: record.env, ref: record.ref, kind, actor: requester, approvedBy: approvers, progress });
      return deployOutcomeReply(outcome);
    };
  return { deploy: runner("deploy"), rollback: runner("rollback") };
}
