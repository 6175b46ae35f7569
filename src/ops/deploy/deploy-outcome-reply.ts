import type { Reply } from "../../core/command.js";
import type { DeployOutcome } from "./create-deploy-op.js";
import { nodeResultLines } from "./node-result-lines.js";

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
  const perNode = r.nodes ? nodeResultLines(r.nodes) : [];
  const scope = r.scope ? ` (${r.scope})` : "";
  if (r.result === "succeeded") {
    return { status: "success", title: r.kind === "rollback" ? `rolled back ${r.env}${scope} to ${r.tag}` : `deployed ${r.tag} to ${r.env}${scope}`, fields, ...(perNode.length > 0 ? { lines: perNode } : {}), visibility: "channel" };
  }
  if (r.nodes) {
    const changed = r.nodes.some((n) => n.result !== "not_run" && !n.failure?.startsWith("unreachable"));
    return {
      status: "failure",
      title: `${verb} of ${r.tag} to ${r.env}${scope} failed at ${r.failure ?? "an unknown step"}`,
      lines: [...perNode, changed ? (r.rolledBack ? `Nodes rolled back: ${r.nodes.filter((n) => n.rolledBack).map((n) => n.node).join(", ")}.` : "No node was rolled back.") : "No node was changed."],
      fields,
      nextStep: r.rolledBack && !r.rollbackHealthy ? `A node is NOT healthy after its roll back: check its containers and deploy a known good tag (see /deploy history ${r.env}).` : `Fix the failing node (see the line above), then deploy again; /deploy status ${r.env} shows every node.`,
      visibility: "channel",
    };
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
