import type { RouteTarget } from "./rolling-up.js";
import type { ProgressFn } from "../../core/command.js";
import type { Logger } from "../../core/logger.js";
import type { Redactor } from "../../core/redact.js";
import type { DeploymentKind, NodeDeploymentResult } from "../../store/collections/deployments.js";
import type { ResolvedGroup, ResolvedNode } from "./env-nodes.js";
import { bringUp, pullImages, readTag, runMigration, smokeChecks, writeTag, type DeployTarget, type NodeSteps } from "./node-steps.js";

export interface NodeGroupsRunOptions {
  /** Groups in deploy order, each with the nodes to touch. */
  groups: ResolvedGroup[];
  tagFor(node: ResolvedNode): string;
  kind: DeploymentKind;
  targetFor(hostName: string): DeployTarget;
  /** The proxy in front of the env route on a host (strategy: rolling). */
  routeFor?: (hostName: string) => RouteTarget | undefined;
  redact: Redactor;
  fetchFn: typeof fetch;
  log?: Logger;
  /** Receives the whole per-node status, one line per node, each time a line changes. */
  progress: ProgressFn;
  /** Reachability probe (`true` over the host's shell) per node; default 10 s. */
  probeTimeoutMs?: number;
}

export interface NodeGroupsOutcome {
  nodes: NodeDeploymentResult[];
  /** `<group>/<node> <step>: <error>` of the first failure. */
  failure?: string;
}

const key = (n: ResolvedNode): string => `${n.group}/${n.host}`;
const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Deploy node groups in order. Before a group changes anything every node of it is probed and its
 * current tag read; an unreachable node fails the group untouched. Within a group nodes run up to
 * its limit at once (one at a time when rolling); after a failure no further node starts. A failed
 * node that had its tag written always goes back to its previous tag; then `on_failure` decides:
 * `rollback_group` also returns the group's moved nodes, `rollback_all` those of earlier groups
 * too, `stop` leaves them. Later groups never run after a failure. Never throws.
 */
export async function deployNodeGroups(o: NodeGroupsRunOptions): Promise<NodeGroupsOutcome> {
  const results = new Map<string, NodeDeploymentResult>();
  const lines = new Map<string, string>();
  const all = o.groups.flatMap((g) => g.nodes);
  for (const n of all) lines.set(key(n), `${key(n)}: waiting`);
  const show = async (n: ResolvedNode, text: string): Promise<void> => {
    lines.set(key(n), `${key(n)}: ${text}`);
    await o.progress([...lines.values()].join("\n")).catch(() => undefined);
  };
  const steps = (n: ResolvedNode): NodeSteps => {
    const route = o.routeFor?.(n.host);
    return { target: o.targetFor(n.host), env: n.env, redact: o.redact, fetchFn: o.fetchFn, ...(route ? { route } : {}) };
  };
  const previous = new Map<string, string | null>();
  const moved: ResolvedNode[] = [];
  let failure: string | undefined;

  const probe = async (n: ResolvedNode): Promise<void> => {
    const ms = o.probeTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms);
    });
    try {
      await Promise.race([o.targetFor(n.host).host.exec(["true"], { timeoutMs: ms }), timeout]);
      previous.set(key(n), await Promise.race([readTag(steps(n)), timeout]));
    } finally {
      clearTimeout(timer);
    }
  };

  const deployOne = async (n: ResolvedNode): Promise<void> => {
    const s = steps(n);
    const tag = o.tagFor(n);
    const prev = previous.get(key(n)) ?? null;
    const started = Date.now();
    let step = "write tag";
    const at = (name: string): void => {
      step = name;
    };
    const nodeProgress: ProgressFn = async (text) => show(n, `${prev ?? "(none)"} → ${tag}: ${text}`);
    try {
      await nodeProgress("writing tag");
      moved.push(n); // from here on a failure rolls this node back
      await writeTag(s, tag, n.vars);
      at("pull");
      await nodeProgress("pulling images");
      await pullImages(s, nodeProgress);
      if (n.migrate && o.kind === "deploy") {
        at("migrations");
        await nodeProgress("running migrations");
        await runMigration(s);
      }
      await bringUp(s, Date.now() + n.env.health_timeout, nodeProgress, at);
      at("smoke checks");
      await smokeChecks(s);
      results.set(key(n), { group: n.group, node: n.host, tag, previousTag: prev, result: "succeeded", rolledBack: false, durationMs: Date.now() - started });
      await show(n, `${tag} healthy (${Math.round((Date.now() - started) / 100) / 10} s)`);
    } catch (err) {
      const text = `${step}: ${o.redact(message(err))}`;
      failure ??= `${key(n)} ${text}`;
      o.log?.warn({ node: key(n), tag, step, err }, "node deploy failed");
      results.set(key(n), { group: n.group, node: n.host, tag, previousTag: prev, result: "failed", rolledBack: false, failure: text, durationMs: Date.now() - started });
      await show(n, `FAILED at ${text}`);
    }
  };

  const rollBack = async (n: ResolvedNode): Promise<void> => {
    const r = results.get(key(n));
    if (!r || r.previousTag === null || r.previousTag === r.tag) return;
    await show(n, `rolling back to ${r.previousTag}`);
    try {
      const s = steps(n);
      await writeTag(s, r.previousTag, n.vars);
      await bringUp(s, Date.now() + n.env.health_timeout, async () => undefined);
      r.rolledBack = true;
      r.rollbackHealthy = true;
      await show(n, `rolled back to ${r.previousTag}, healthy`);
    } catch (err) {
      r.rolledBack = true;
      r.rollbackHealthy = false;
      r.failure = `${r.failure ?? "rolled back"}; roll back failed: ${o.redact(message(err))}`;
      await show(n, `roll back to ${r.previousTag} NOT healthy`);
    }
  };

  for (const [gi, group] of o.groups.entries()) {
    const probes = await Promise.allSettled(group.nodes.map(probe));
    const unreachable = group.nodes.flatMap((n, i) => {
      const p = probes[i];
      return p?.status === "rejected" ? [{ n, why: o.redact(message(p.reason)) }] : [];
    });
    for (const { n, why } of unreachable) {
      const text = `unreachable: ${why}`;
      failure ??= `${key(n)} ${text}`;
      results.set(key(n), { group: n.group, node: n.host, tag: o.tagFor(n), previousTag: null, result: "failed", rolledBack: false, failure: text, durationMs: 0 });
      await show(n, `FAILED, ${text} (nothing in group ${group.name} was changed)`);
    }
    if (unreachable.length === 0) {
      const queue = [...group.nodes];
      const worker = async (): Promise<void> => {
        for (let n = queue.shift(); n !== undefined && failure === undefined; n = queue.shift()) await deployOne(n);
      };
      await Promise.all(Array.from({ length: group.limit }, worker));
    }
    if (failure === undefined) continue;
    const back = moved.filter((n) => {
      if (results.get(key(n))?.result === "failed") return true;
      if (group.onFailure === "stop") return false;
      if (group.onFailure === "rollback_group") return n.group === group.name;
      return o.groups.slice(0, gi + 1).some((g) => g.name === n.group);
    });
    await Promise.all(back.map(rollBack));
    break;
  }
  for (const n of all) {
    if (!results.has(key(n))) {
      results.set(key(n), { group: n.group, node: n.host, tag: o.tagFor(n), previousTag: previous.get(key(n)) ?? null, result: "not_run", rolledBack: false, durationMs: 0 });
      await show(n, "not run");
    }
  }
  return { nodes: all.map((n) => results.get(key(n)) as NodeDeploymentResult), ...(failure !== undefined ? { failure } : {}) };
}
