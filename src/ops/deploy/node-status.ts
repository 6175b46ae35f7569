import type { Environment } from "../../config/environments-config.js";
import type { Redactor } from "../../core/redact.js";
import { resolveGroups } from "./env-nodes.js";
import { readTag, type DeployTarget } from "./node-steps.js";

export interface NodeStatus {
  group: string;
  node: string;
  tag: string | null;
  containers: Array<{ name: string; state: string; health: string }>;
  /** `healthy`, `unhealthy`, `starting`, `down` (none running) or `unreachable: …`. */
  health: string;
}

/** Every node of the environment: tag in its `.env`, its compose project's containers and their health. */
export async function nodeStatuses(env: Environment, targetFor: (host: string) => DeployTarget, redact: Redactor): Promise<NodeStatus[]> {
  const nodes = resolveGroups(env).flatMap((g) => g.nodes);
  return Promise.all(
    nodes.map(async (n): Promise<NodeStatus> => {
      const target = targetFor(n.host);
      try {
        const tag = await readTag({ target, env: n.env, redact, fetchFn: fetch });
        const list = (await target.docker.listByLabel(`com.docker.compose.project=${n.env.project}`)).filter((c) => c.labels["com.docker.compose.oneoff"] !== "True");
        const containers = list.map((c) => ({ name: c.name, state: c.state, health: c.health }));
        const health =
          containers.length === 0 || containers.some((c) => c.state !== "running")
            ? "down"
            : containers.some((c) => c.health === "unhealthy")
              ? "unhealthy"
              : containers.some((c) => c.health === "starting")
                ? "starting"
                : "healthy";
        return { group: n.group, node: n.host, tag, containers, health };
      } catch (err) {
        return { group: n.group, node: n.host, tag: null, containers: [], health: `unreachable: ${redact(err instanceof Error ? err.message : String(err)).slice(0, 160)}` };
      }
    }),
  );
}
