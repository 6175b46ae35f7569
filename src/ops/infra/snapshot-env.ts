import type { ResolvedInfraEnv } from "../../config/infra-config.js";
import { OpsError } from "../../core/errors.js";
import type { HetznerServer, HetznerSnapshot } from "../adapters/hetzner-client.js";
import { ENV_LABEL, ROLE_LABEL, findEnvServer, goldenSelector, report, type InfraDeps, type InfraRun } from "./infra-deps.js";

export interface SnapshotResult {
  server: HetznerServer;
  snapshot: HetznerSnapshot;
  /** Older golden snapshots deleted by the retention rule. */
  pruned: HetznerSnapshot[];
}

/**
 * Take a golden snapshot of the env's server and wait until it is available, then keep only the
 * `snapshot_retention` newest golden snapshots of that env. The new snapshot counts towards N, so
 * pruning never deletes the one just made, and a failed snapshot prunes nothing.
 */
export async function takeGoldenSnapshot(deps: InfraDeps, env: ResolvedInfraEnv, server: HetznerServer, run: InfraRun): Promise<SnapshotResult> {
  const now = (deps.clock ?? (() => new Date()))();
  await report(run, `Snapshotting ${server.name} (${server.serverType}, ${server.ipv4 ?? "no IPv4"})…`);
  const { snapshot, action } = await deps.hetzner.createSnapshot(server.id, {
    description: `opsdeck golden ${env.env} ${now.toISOString()}`,
    labels: { ...env.labels, [ENV_LABEL]: env.env, [ROLE_LABEL]: "golden" },
  });
  await deps.hetzner.waitForAction(action, deps.config.action_timeout);
  await report(run, `Snapshot ${snapshot.id} is ready; applying retention (keep ${deps.config.snapshot_retention})…`);
  const pruned = await deps.hetzner.pruneSnapshots(goldenSelector(env.env), deps.config.snapshot_retention);
  return { server, snapshot: { ...snapshot, status: "available" }, pruned };
}

/** `/infra snapshot <env>`: a golden snapshot of the running server, with retention. */
export async function snapshotEnv(deps: InfraDeps, env: ResolvedInfraEnv, run: InfraRun): Promise<SnapshotResult> {
  const server = await findEnvServer(deps, env);
  if (!server) {
    throw new OpsError("not_found", `no server for ${env.env} (expected ${env.serverName})`, `Start it with /infra up ${env.env}, or see /infra status.`);
  }
  return takeGoldenSnapshot(deps, env, server, run);
}
