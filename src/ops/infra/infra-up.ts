import type { ResolvedInfraEnv } from "../../config/infra-config.js";
import { OpsError } from "../../core/errors.js";
import type { HetznerServer } from "../adapters/hetzner-client.js";
import { upsertDnsRecord } from "../dns/pending-deletions.js";
import { ENV_LABEL, goldenSelector, report, type InfraDeps, type InfraRun } from "./infra-deps.js";

export type DnsOutcome = { state: "updated"; hostname: string } | { state: "skipped" } | { state: "failed"; hostname: string; error: string };

export interface UpResult {
  server: HetznerServer;
  /** What the server was built from. */
  source: { kind: "snapshot"; id: number; created: Date } | { kind: "image"; name: string };
  dns: DnsOutcome;
}

/**
 * `/infra up <env>`: create the env's server from its newest golden snapshot (or the base image
 * when there is none) and point the env's hostname at it.
 *
 * Single-server guard: refused while any server with the configured name prefix exists — in any
 * env, and whoever created it — so at most one preview server runs (and bills) at a time.
 * Callers serialise `up`/`down`/`snapshot` (see `createInfraOps`), so two `up`s cannot both pass
 * the guard; Hetzner's unique server names are the backstop across processes.
 *
 * A DNS failure after the server is up does not throw: the server exists and bills, so the
 * result says so and the reply is a warning with the address.
 */
export async function infraUp(deps: InfraDeps, env: ResolvedInfraEnv, run: InfraRun): Promise<UpResult> {
  await report(run, `Checking for an existing ${deps.config.name_prefix}-* server…`);
  const existing = await deps.hetzner.listServers({ namePrefix: deps.config.name_prefix });
  const first = existing[0];
  if (first) {
    throw new OpsError(
      "conflict",
      `a server with the prefix ${deps.config.name_prefix} already exists: ${first.name} (${first.status}, ${first.ipv4 ?? "no IPv4"})${existing.length > 1 ? ` and ${existing.length - 1} more` : ""}`,
      `Only one preview server may exist at a time. Use /infra down ${first.labels[ENV_LABEL] ?? "<env>"} first, or see /infra status.`,
    );
  }

  const snapshot = await deps.hetzner.newestSnapshot(goldenSelector(env.env));
  const source: UpResult["source"] = snapshot ? { kind: "snapshot", id: snapshot.id, created: snapshot.created } : { kind: "image", name: env.image };
  await report(run, snapshot ? `Creating ${env.serverName} from snapshot ${snapshot.id} (${snapshot.created.toISOString()})…` : `Creating ${env.serverName} from image ${env.image} (no golden snapshot yet)…`);
  const created = await deps.hetzner.createServer({
    name: env.serverName,
    serverType: env.serverType,
    location: env.location,
    image: snapshot ? snapshot.id : env.image,
    labels: { ...env.labels, [ENV_LABEL]: env.env },
    sshKeys: deps.config.ssh_keys,
  });
  for (const action of created.actions) await deps.hetzner.waitForAction(action, deps.config.action_timeout);
  const server = await deps.hetzner.getServer(created.server.id);

  let dns: DnsOutcome = { state: "skipped" };
  if (env.hostname && server.ipv4) {
    await report(run, `Pointing ${env.hostname} at ${server.ipv4}…`);
    try {
      await upsertDnsRecord(deps.dns, deps.store, { name: env.hostname, type: "A", content: server.ipv4, ...(deps.dnsRecord ?? {}) });
      dns = { state: "updated", hostname: env.hostname };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      deps.log.warn({ env: env.env, hostname: env.hostname, err: error }, "server is up but its DNS record could not be updated");
      dns = { state: "failed", hostname: env.hostname, error };
    }
  }
  return { server, source, dns };
}
