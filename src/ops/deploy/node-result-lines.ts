import type { NodeDeploymentResult } from "../../store/collections/deployments.js";

/** One line per node: `workers/worker2  v1 → v3  failed at health: …; rolled back to v1 (healthy)`. */
export function nodeResultLines(nodes: NodeDeploymentResult[], indent = ""): string[] {
  return nodes.map((n) => {
    const rolled = n.rolledBack ? `; rolled back to ${n.previousTag} (${n.rollbackHealthy ? "healthy" : "NOT healthy"})` : "";
    const what = n.result === "failed" ? `failed at ${n.failure ?? "an unknown step"}` : n.result === "not_run" ? "not run" : "succeeded";
    return `${indent}${n.group}/${n.node}  ${n.previousTag ?? "(none)"} → ${n.tag}  ${what}${n.failure && n.result !== "failed" ? ` (${n.failure})` : ""}${rolled}`;
  });
}
