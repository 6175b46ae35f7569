import type { Reply } from "../core/command.js";
import type { NodeStatus } from "../ops/deploy/node-status.js";

/** Per node of an environment: tag, containers, health (`/status <env>` and `/deploy status <env>`). */
export function envStatusReply(name: string, nodes: NodeStatus[]): Reply {
  const bad = nodes.filter((n) => n.health !== "healthy");
  return {
    status: bad.length > 0 ? "warning" : "info",
    title: bad.length > 0 ? `${name}: ${bad.length} of ${nodes.length} node(s) not healthy` : `${name}: all ${nodes.length} node(s) healthy`,
    fields: nodes.map((n) => ({
      label: `${n.group}/${n.node}`,
      value: `tag ${n.tag ?? "(none)"} · ${n.health} · ${n.containers.length > 0 ? n.containers.map((c) => `${c.name} ${c.state}${c.health !== "none" ? ` (${c.health})` : ""}`).join(", ") : "no containers"}`,
    })),
  };
}
