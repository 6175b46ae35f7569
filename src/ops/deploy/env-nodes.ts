import type { Environment } from "../../config/environments-config.js";
import { OpsError } from "../../core/errors.js";
import { escapeEcho } from "../../core/validate.js";

export type FailurePolicy = "rollback_group" | "rollback_all" | "stop";

/** One host of an environment, with the environment's settings narrowed to that host. */
export interface ResolvedNode {
  group: string;
  /** The node's name: its host name from the config. */
  host: string;
  /** The environment as seen on this node: its host, compose dir, project and file. */
  env: Environment;
  /** Extra `.env` values written next to the tag. */
  vars: Record<string, string>;
  /** Whether this node runs the migration command (the first host of the `migrate: true` group). */
  migrate: boolean;
}

export interface ResolvedGroup {
  name: string;
  nodes: ResolvedNode[];
  /** How many nodes of the group run at once (1 when rolling). */
  limit: number;
  rolling: boolean;
  onFailure: FailurePolicy;
}

/** Which part of the environment a deploy touches. */
export interface NodeScope {
  group?: string;
  node?: string;
}

/** Whether the environment declares `nodes:` (otherwise it is one group of one host). */
export function isMultiNode(env: Environment): boolean {
  return env.nodes !== undefined;
}

/** The environment's groups in deploy order; the single-host form is one group `main` with one node. */
export function resolveGroups(env: Environment): ResolvedGroup[] {
  const defaultPolicy: FailurePolicy = env.protected ? "rollback_all" : "rollback_group";
  if (!env.nodes) {
    return [{ name: "main", nodes: [{ group: "main", host: env.host, env, vars: {}, migrate: env.migration_command !== undefined }], limit: 1, rolling: false, onFailure: defaultPolicy }];
  }
  const nodes = env.nodes;
  const order = env.order ?? Object.keys(nodes);
  return order.map((name) => {
    const group = nodes[name];
    if (!group) throw new OpsError("config", `order names group ${name}, which nodes does not declare`, "Fix environments.<env>.order in the config.");
    const resolved = group.hosts.map((n, i): ResolvedNode => ({
      group: name,
      host: n.host,
      env: { ...env, host: n.host, compose_dir: n.compose_dir ?? env.compose_dir, project: n.project ?? env.project, compose_file: n.compose_file ?? env.compose_file },
      vars: n.vars,
      migrate: group.migrate && i === 0 && env.migration_command !== undefined,
    }));
    const limit = group.rolling ? 1 : Math.min(group.parallel ?? resolved.length, resolved.length);
    return { name, nodes: resolved, limit, rolling: group.rolling, onFailure: group.on_failure ?? defaultPolicy };
  });
}

/** The groups (and within them the nodes) a scope selects; an unknown group or node is refused naming the valid ones. */
export function selectGroups(envName: string, env: Environment, scope: NodeScope): ResolvedGroup[] {
  const all = resolveGroups(env);
  let groups = all;
  if (scope.group !== undefined) {
    groups = all.filter((g) => g.name === scope.group);
    if (groups.length === 0) throw new OpsError("bad_input", `${envName} has no node group "${escapeEcho(scope.group, 40)}"`, `Groups of ${envName}: ${all.map((g) => g.name).join(", ")}.`);
  }
  if (scope.node !== undefined) {
    const node = scope.node;
    const picked = groups.map((g) => ({ ...g, nodes: g.nodes.filter((n) => n.host === node) })).filter((g) => g.nodes.length > 0);
    if (picked.length === 0) {
      const names = groups.flatMap((g) => g.nodes.map((n) => n.host));
      throw new OpsError("bad_input", `${envName} has no node "${escapeEcho(node, 40)}"${scope.group ? ` in group ${scope.group}` : ""}`, `Nodes: ${names.join(", ")}.`);
    }
    groups = picked;
  }
  return groups;
}

/** "core: core1; workers: worker1, worker2", for approval requests and replies. */
export function describeGroups(groups: ResolvedGroup[]): string {
  return groups.map((g) => `${g.name}: ${g.nodes.map((n) => n.host).join(", ")}`).join("; ");
}
