import type { RouteTarget } from "./rolling-up.js";
import type { Environment } from "../../config/environments-config.js";
import { actorKey, type ProgressFn } from "../../core/command.js";
import type { Logger } from "../../core/logger.js";
import type { Redactor } from "../../core/redact.js";
import type { Store } from "../../store/store.js";
import type { Journal } from "../journal/create-journal.js";
import { acquireHostLock, deployLockBusy, lockFileOf, type HostLock } from "../host-lock.js";
import { deployNodeGroups } from "./deploy-node-groups.js";
import { describeGroups, selectGroups } from "./env-nodes.js";
import { recordDeployment, type DeploymentRecord } from "./history.js";
import type { DeployTarget } from "./node-steps.js";
import type { DeployOutcome, DeployRequest } from "./create-deploy-op.js";

export interface NodeGroupsDeps {
  journal: Journal;
  store: Store;
  redact: Redactor;
  clock: () => Date;
  fetchFn: typeof fetch;
  targetFor(hostName: string): DeployTarget;
  /** The proxy in front of `environments.<env>.route` on a host (needed by `strategy: rolling`). */
  routeFor?: (envName: string, hostName: string) => RouteTarget | undefined;
  log?: Logger;
  backupFor?: (env: string) => ((progress: ProgressFn) => Promise<void>) | undefined;
  hostLockLeaseMs?: number;
}

function scopeText(request: DeployRequest): string | undefined {
  const parts = [request.scope?.group ? `group ${request.scope.group}` : "", request.scope?.node ? `node ${request.scope.node}` : ""].filter(Boolean);
  return parts.length > 0 ? parts.join(", ") : undefined;
}

/**
 * A deploy of an environment with node groups: the env lock on its primary host, the pre-deploy
 * backup, then every selected node through `deployNodeGroups`; one history record with a result
 * per node. Throws only when it could not start (lock busy, primary host unreachable).
 */
export async function runNodeGroupsDeploy(deps: NodeGroupsDeps, request: DeployRequest, env: Environment, tag: string): Promise<DeployOutcome> {
  const progress: ProgressFn = async (step) => {
    await request.progress(step).catch((err: unknown) => deps.log?.warn({ err, env: request.env }, "could not post deploy progress"));
  };
  const tags = request.tags;
  // A per-node tag map (a rollback to each node's last good tag) touches only the nodes it names.
  const groups = selectGroups(request.env, env, request.scope ?? {})
    .map((g) => (tags ? { ...g, nodes: g.nodes.filter((n) => Object.hasOwn(tags, n.host)) } : g))
    .filter((g) => g.nodes.length > 0);
  const verb = request.kind === "rollback" ? "rollback" : "deploy";
  const scope = scopeText(request);
  const id = await deps.journal.begin(verb, request.env, actorKey(request.actor), `${verb} ${tag}${scope ? ` (${scope})` : ""}`);
  const started = deps.clock();
  const startedMs = Date.now();
  let lock: HostLock | undefined;
  try {
    await progress(`locking ${request.env} on ${env.host}; nodes ${describeGroups(groups)}`);
    const lockHost = deps.targetFor(env.host).host;
    const lockFile = lockFileOf(request.env, env);
    const leaseMs = deps.hostLockLeaseMs ?? env.health_timeout * 4 + 30 * 60_000;
    lock = await acquireHostLock(lockHost, lockFile, { leaseMs, what: "a deploy", privateDir: true, busy: deployLockBusy(lockHost.name, lockFile) });
    const backup = deps.backupFor?.(request.env);
    if (backup && request.kind === "deploy") {
      await progress("pre-deploy backup");
      await backup(progress);
    }
  } catch (err) {
    await lock?.release();
    await deps.journal.finish(id, "failed", `${verb} of ${tag} failed before any node changed: ${deps.redact(err instanceof Error ? err.message : String(err))}`);
    throw err;
  }
  try {
    const outcome = await deployNodeGroups({
      groups,
      tagFor: (n) => tags?.[n.host] ?? tag,
      kind: request.kind,
      targetFor: deps.targetFor,
      ...(deps.routeFor ? { routeFor: (host: string) => deps.routeFor?.(request.env, host) } : {}),
      redact: deps.redact,
      fetchFn: deps.fetchFn,
      progress,
      ...(deps.log ? { log: deps.log } : {}),
    });
    const rolled = outcome.nodes.filter((n) => n.rolledBack);
    const result = outcome.failure === undefined ? "succeeded" : "failed";
    const record: DeploymentRecord = {
      id,
      env: request.env,
      kind: request.kind,
      tag,
      previousTag: outcome.nodes[0]?.previousTag ?? null,
      actor: actorKey(request.actor),
      actorName: request.actor.name,
      ...(request.approvedBy ? { approvedBy: request.approvedBy } : {}),
      startedAt: started.toISOString(),
      endedAt: deps.clock().toISOString(),
      durationMs: Date.now() - startedMs,
      result,
      ...(outcome.failure !== undefined ? { failure: outcome.failure } : {}),
      rolledBack: rolled.length > 0,
      ...(rolled.length > 0 ? { rollbackHealthy: rolled.every((n) => n.rollbackHealthy === true) } : {}),
      nodes: outcome.nodes,
      ...(scope ? { scope } : {}),
    };
    await recordDeployment(deps.store, record);
    await deps.journal.finish(id, result, outcome.failure === undefined ? `${verb} of ${tag} succeeded on ${outcome.nodes.length} node(s)` : `${verb} of ${tag} failed: ${outcome.failure}`);
    return { record, ...(outcome.failure !== undefined ? { failedStep: outcome.failure } : {}) };
  } finally {
    await lock?.release();
  }
}
