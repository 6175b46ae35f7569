import type { ResolvedInfraEnv } from "../../config/infra-config.js";
import { OpsError } from "../../core/errors.js";
import type { HetznerServer } from "../adapters/hetzner-client.js";
import { removeDnsRecordOrQueue } from "../dns/pending-deletions.js";
import { findEnvServer, goldenSelector, report, type InfraDeps, type InfraRun } from "./infra-deps.js";
import { takeGoldenSnapshot, type SnapshotResult } from "./snapshot-env.js";

export interface DownResult {
  server: HetznerServer;
  snapshot: SnapshotResult;
  /** `queued`: the DNS delete failed and waits in `pendingDnsDeletions` for the next sweep. */
  dns: { state: "removed" | "skipped" } | { state: "queued"; hostname: string; error: string };
}

export interface DownDescription {
  title: string;
  lines: string[];
  /** False when there is no server to take down. */
  actionable: boolean;
}

/**
 * What `/infra down <env>` would do, for the approval message: which server, what it costs, what
 * is kept (the snapshot) and what goes (the server, the DNS record, old snapshots).
 */
export async function describeDown(deps: InfraDeps, env: ResolvedInfraEnv): Promise<DownDescription> {
  const server = await findEnvServer(deps, env);
  if (!server) return { title: `No server to take down for ${env.env}`, lines: [`${env.serverName} does not exist.`], actionable: false };
  const price = await deps.hetzner.serverMonthlyPrice(server.serverType, server.location).catch(() => null);
  const snapshots = await deps.hetzner.listSnapshots(goldenSelector(env.env));
  const dropped = Math.max(0, snapshots.length + 1 - deps.config.snapshot_retention);
  return {
    title: `Take ${env.env} down: snapshot ${server.name}, then delete it`,
    lines: [
      `Server ${server.name} (${server.serverType} in ${server.location}, ${server.ipv4 ?? "no IPv4"}, ${server.status})${price ? ` costs ${price.gross.toFixed(2)} ${price.currency}/month` : ""}.`,
      `1. Golden snapshot of its disk (kept: the newest ${deps.config.snapshot_retention}${dropped > 0 ? `; ${dropped} older will be deleted` : ""}).`,
      "2. Delete the server (only after the snapshot is available).",
      env.hostname ? `3. Remove the DNS record ${env.hostname}.` : "3. No DNS record is configured for this env.",
      `/infra up ${env.env} brings it back from the snapshot.`,
    ],
    actionable: true,
  };
}

/**
 * `/infra down <env>`: snapshot, then delete, then remove DNS. Only callable with an explicit
 * `approved: true` — the caller (the handler, after its approval step) vouches that the request
 * was approved; this function does not decide who may approve. A failed or timed-out snapshot
 * stops before anything is deleted.
 */
export async function infraDown(deps: InfraDeps, env: ResolvedInfraEnv, run: InfraRun & { approved: boolean }): Promise<DownResult> {
  if (run.approved !== true) {
    throw new OpsError("forbidden", `taking ${env.env} down needs an approval`, `Ask for it with /infra down ${env.env} and have it approved.`);
  }
  const server = await findEnvServer(deps, env);
  if (!server) throw new OpsError("not_found", `no server for ${env.env} (expected ${env.serverName})`, "Nothing to take down; see /infra status.");

  const snapshot = await takeGoldenSnapshot(deps, env, server, run);
  await report(run, `Snapshot ${snapshot.snapshot.id} kept; deleting ${server.name}…`);
  const action = await deps.hetzner.deleteServer(server.id);
  await deps.hetzner.waitForAction(action, deps.config.action_timeout);

  let dns: DownResult["dns"] = { state: "skipped" };
  if (env.hostname) {
    await report(run, `Removing DNS record ${env.hostname}…`);
    const outcome = await removeDnsRecordOrQueue(deps.dns, deps.store, env.hostname, `infra ${env.env}`, { log: deps.log, ...(deps.clock ? { clock: deps.clock } : {}) });
    dns = outcome.removed ? { state: "removed" } : { state: "queued", hostname: env.hostname, error: outcome.error };
  }
  return { server, snapshot, dns };
}
