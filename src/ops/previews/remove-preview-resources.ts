import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { ComposeClient } from "../adapters/compose-client.js";
import type { DnsProvider } from "../adapters/dns-provider.js";
import type { DockerClient } from "../adapters/docker-client.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { ProxyClient } from "../adapters/proxy-client.js";
import { removePreviewRoute } from "./preview-route.js";
import type { PreviewNames } from "./preview-names.js";

export interface RemoveDeps {
  host: HostShell;
  compose: ComposeClient;
  docker: DockerClient;
  dns: DnsProvider;
  log: Logger;
  /** How long `compose down` lets containers stop before killing them (config `previews.stop_timeout`). */
  stopTimeoutMs: number;
  /** The proxy holding the preview's route (config `previews.proxy`), removed first. */
  proxy?: ProxyClient;
}

const CONTAINER_ID = /^[0-9a-f]{12,64}$/;
const DOCKER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Remove everything a preview has on its host, whether or not state knows it:
 * `compose down -v --remove-orphans` when its compose file is still there, then any container,
 * network or volume that still carries its label (a half-made or hand-made preview), the DNS
 * record and the directory. Idempotent. Returns what was removed; throws when something is left.
 */
export async function removePreviewResources(deps: RemoveDeps, names: PreviewNames): Promise<string[]> {
  const { host, compose, docker, dns, log } = deps;
  const removed: string[] = [];
  const project = { name: names.project, dir: names.dir };
  // The route first: no request reaches containers that are going away. An unreachable proxy does
  // not keep the preview alive: the route is reported, and the start-up reconcile removes orphans.
  if (deps.proxy) {
    try {
      if (await removePreviewRoute(deps.proxy, names)) removed.push(`route ${names.hostname}`);
    } catch (err) {
      log.warn({ err, slug: names.slug }, "could not remove the preview's proxy route");
      removed.push(`route ${names.hostname}: not removed (${(err as Error).message}); the next start-up reconcile removes it`);
    }
  }

  const before = {
    containers: await docker.listByLabel(names.label),
    networks: await docker.listNetworks(names.label),
    volumes: await docker.listVolumes(names.label),
  };
  const dirExists = (await host.exec(["test", "-d", names.dir], { allowFailure: true })).code === 0;
  const hasComposeFile = dirExists && (await host.exec(["test", "-f", names.composeFile], { allowFailure: true })).code === 0;

  if (hasComposeFile && before.containers.length + before.networks.length + before.volumes.length > 0) {
    try {
      // `-t`: the data is deleted anyway, so an image that ignores SIGTERM is not waited on for 10 s.
      await compose.down(project, { volumes: true, timeoutSeconds: Math.max(0, Math.ceil(deps.stopTimeoutMs / 1000)) });
    } catch (err) {
      // Fall through to label-based removal, which does not need a valid compose file.
      log.warn({ err, slug: names.slug }, "compose down failed; removing by label");
    }
  }

  const leftContainers = (await docker.listByLabel(names.label)).map((c) => c.id).filter((id) => CONTAINER_ID.test(id));
  for (const id of leftContainers) await docker.removeContainer(id);
  const leftNetworks = (await docker.listNetworks(names.label)).filter((n) => DOCKER_NAME.test(n));
  for (const network of leftNetworks) await docker.removeNetwork(network);
  const leftVolumes = (await docker.listVolumes(names.label)).filter((v) => DOCKER_NAME.test(v));
  for (const volume of leftVolumes) await docker.removeVolume(volume);

  if (before.containers.length > 0) removed.push(`containers: ${before.containers.map((c) => c.name).join(", ")}`);
  if (before.networks.length > 0) removed.push(`networks: ${before.networks.join(", ")}`);
  if (before.volumes.length > 0) removed.push(`volumes: ${before.volumes.join(", ")}`);

  if (dirExists) {
    await host.exec(["rm", "-rf", "--", names.dir]);
    removed.push(`directory ${names.dir}`);
  }

  // Always removed (idempotent); only reported when the preview otherwise existed.
  const dnsOutcome = await dns.remove(names.hostname);
  if (dnsOutcome?.queued) removed.push(`DNS record ${names.hostname}: not removed yet (${dnsOutcome.error}); queued, the next clean-up sweep removes it`);
  else if (dns.kind !== "none" && removed.length > 0) removed.push(`DNS record ${names.hostname}`);

  const after = [
    ...(await docker.listByLabel(names.label)).map((c) => `container ${c.name}`),
    ...(await docker.listNetworks(names.label)).map((n) => `network ${n}`),
    ...(await docker.listVolumes(names.label)).map((v) => `volume ${v}`),
  ];
  if (after.length > 0) {
    throw new OpsError("remote_failed", `preview ${names.slug} could not be removed completely; left on host ${host.name}: ${after.join(", ")}`, `Remove them by hand (docker rm -f / docker network rm / docker volume rm), then run /preview destroy ${names.slug} again.`);
  }
  return removed;
}
