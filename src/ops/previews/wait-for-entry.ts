import type { ContainerSummary, DockerClient } from "../adapters/docker-client.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { PreviewNames } from "./preview-names.js";
import { serviceOf } from "../wait-for-health.js";

const CONTAINER_ID = /^[0-9a-f]{12,64}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
/** A TCP connect from the host, as a fixed script; address and port are arguments ($0, $1). */
const PROBE = 'exec 3<>"/dev/tcp/$0/$1"';

export interface EntryWait {
  /** Per service: `healthy`, `running (no healthcheck)`, or `running (no healthcheck), answering on port N`. */
  states: string[];
  /** Set when the entry service has no healthcheck and never answered on its port in time. */
  silent?: { service: string; port: number };
}

/**
 * What "up" means for each service. Docker only says "healthy" for a service with a
 * healthcheck; for the entry service without one (`previews.entry`), wait until something
 * accepts a TCP connection on its port, from the host to its address on the preview network.
 */
export async function waitForEntry(host: HostShell, docker: DockerClient, n: PreviewNames, containers: ContainerSummary[], entry: { service: string; port: number } | undefined, timeoutMs: number): Promise<EntryWait> {
  const states = new Map<string, string>();
  for (const c of containers) states.set(serviceOf(c), c.health === "healthy" ? "healthy" : "running (no healthcheck)");
  const target = entry ? containers.find((c) => serviceOf(c) === entry.service && c.health === "none") : undefined;
  if (!entry || !target || !CONTAINER_ID.test(target.id)) return { states: [...states].map(([s, st]) => `${s} ${st}`) };

  const ip = (await docker.inspect(target.id).catch(() => undefined))?.networks?.[n.network] ?? "";
  const deadline = Date.now() + timeoutMs;
  let answered = false;
  if (IPV4.test(ip)) {
    while (!answered && Date.now() < deadline) {
      const r = await host.exec(["timeout", "2", "bash", "-c", PROBE, ip, String(entry.port)], { allowFailure: true });
      answered = r.code === 0;
      if (!answered) await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  if (answered) states.set(entry.service, `running (no healthcheck), answering on port ${entry.port}`);
  const result: EntryWait = { states: [...states].map(([s, st]) => `${s} ${st}`) };
  return answered ? result : { ...result, silent: { service: entry.service, port: entry.port } };
}
