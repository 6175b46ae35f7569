import type { MonthlyPrice } from "../adapters/hetzner-client.js";
import { pendingDnsDeletionsOf, type PendingDnsDeletion } from "../dns/pending-deletions.js";
import { ENV_LABEL, ROLE_LABEL, type InfraDeps } from "./infra-deps.js";

export interface ServerStatus {
  id: number;
  name: string;
  env: string | null;
  status: string;
  serverType: string;
  location: string;
  ipv4: string | null;
  /** Null when the price could not be looked up (the status is still shown). */
  monthly: MonthlyPrice | null;
  ageMs: number;
}

export interface SnapshotStatus {
  id: number;
  env: string | null;
  description: string;
  status: string;
  created: Date;
  sizeGb: number | null;
}

export interface InfraStatus {
  servers: ServerStatus[];
  snapshots: SnapshotStatus[];
  pendingDnsDeletions: PendingDnsDeletion[];
}

/** Servers carrying the configured prefix (with type, IP, monthly cost, age) and golden snapshots. */
export async function infraStatus(deps: InfraDeps): Promise<InfraStatus> {
  const now = (deps.clock ?? (() => new Date()))().getTime();
  const [servers, snapshots] = await Promise.all([deps.hetzner.listServers({ namePrefix: deps.config.name_prefix }), deps.hetzner.listSnapshots(`${ROLE_LABEL}=golden`)]);
  const prices = new Map<string, MonthlyPrice | null>();
  for (const s of servers) {
    const key = `${s.serverType}@${s.location}`;
    if (prices.has(key)) continue;
    try {
      prices.set(key, await deps.hetzner.serverMonthlyPrice(s.serverType, s.location));
    } catch (err) {
      deps.log.warn({ err: (err as Error).message, serverType: s.serverType, location: s.location }, "price lookup failed");
      prices.set(key, null);
    }
  }
  return {
    servers: servers.map((s) => ({
      id: s.id,
      name: s.name,
      env: s.labels[ENV_LABEL] ?? null,
      status: s.status,
      serverType: s.serverType,
      location: s.location,
      ipv4: s.ipv4,
      monthly: prices.get(`${s.serverType}@${s.location}`) ?? null,
      ageMs: Math.max(0, now - s.created.getTime()),
    })),
    snapshots: snapshots.map((i) => ({ id: i.id, env: i.labels[ENV_LABEL] ?? null, description: i.description, status: i.status, created: i.created, sizeGb: i.sizeGb })),
    pendingDnsDeletions: pendingDnsDeletionsOf(deps.store.read()),
  };
}
