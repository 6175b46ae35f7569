import type { Reply } from "../../core/command.js";
import type { DeployOutcome } from "./create-deploy-op.js";

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

/** The final reply of a deploy or rollback: what happened, and for failures what failed and whether it rolled back. */
export function deployOutcomeReply(outcome: DeployOutcome): Reply {
  const r = outcome.record;
  const verb = r.kind === "rollback" ? "roll back" : "deploy";
  const fields = [
    { label: "environment", value: r.env },
    { label: "tag", value: `${r.previousTag ?? "(none)"} → ${r.tag}` },
    { label: "by", value: r.actorName + (r.approvedBy?.length ? `, approved by ${r.approvedBy.join(", ")}` : "") },
    { label: "duration", value: seconds(r.durationMs) },
  ];
  if (r.result === "succeeded") {
    return { status: "success", title: r.kind === "rollback" ? `rolled back ${r.env} to ${r.tag}` : `deployed ${r.tag} to ${r.env}`, fields, visibility: "channel" };
  }
  const failed = `${verb} of ${r.tag} to ${r.env} failed at ${r.failure ?? "an unknown step"}`;
  const after = r.rolledBack
    ? r.rollbackHealthy
      ? `rolled back automatically to ${r.previousTag}, which is healthy`
      : `rolled back automatically to ${r.previousTag}, but it is NOT healthy`
    : r.previousTag === r.tag
      ? `nothing to roll back to: ${r.tag} was already the tag before`
      : "nothing to roll back to: no previous tag was set";
  return {
    status: "failure",
    title: `${failed}; ${after}`,
    lines: [`Failed step: ${outcome.failedStep ?? "unknown"}.`, r.rolledBack ? `Rolled back to ${r.previousTag}.` : "Not rolled back."],
    fields,
    ...(outcome.logs ? { code: outcome.logs } : {}),
    nextStep: r.rolledBack && r.rollbackHealthy ? `Read the logs below, fix ${r.tag} and deploy again.` : `The environment needs attention now: check the containers on the host and deploy a known good tag (see /deploy history ${r.env}).`,
    visibility: "channel",
  };
}
