import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { ComposeClient } from "../adapters/compose-client.js";
import type { DnsProvider } from "../adapters/dns-provider.js";
import type { DockerClient } from "../adapters/docker-client.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { ProxyClient } from "../adapters/proxy-client.js";
import { containersLabelled, listLabelled } from "./labelled-resources.js";
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
/** How long a stop may take before the containers are detached so their networks can go (a fast stop takes ~0.15 s). */
const DETACH_AFTER_MS = 200;

/**
 * Remove everything a preview has on its host, whether or not state knows it:
 * every container, network and volume carrying its label or its compose project's label (made by
 * compose, half-made or hand-made: `docker stop -t <stop_timeout>` + `rm -f -v`, no compose start);
 * the DNS record from the start, each network once the containers are stopped or, when the stop is
 * slow, detached from it, volumes and the directory once the containers are removed. Idempotent.
 * Returns what was removed; throws when something is left (a removal that fails, or a container
 * that is back).
 */
export async function removePreviewResources(deps: RemoveDeps, names: PreviewNames): Promise<string[]> {
  const { host, docker, dns, log } = deps;
  const removed: string[] = [];
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

  // Straight to the Docker CLI/API instead of `compose down`: a compose v1 start alone costs about a
  // second (Python), and everything compose made carries its project label (ours carry the preview label).
  const projectLabel = `com.docker.compose.project=${names.project}`;
  const labels = [names.label, projectLabel];
  // The DNS record (idempotent, always removed; reported only when the preview otherwise existed)
  // needs nothing on the host: a DNS API's round trip runs beside the Docker work, not after it.
  const dnsRemoval = Promise.resolve(dns.remove(names.hostname));
  dnsRemoval.catch(() => undefined); // awaited below; a failure is not unhandled meanwhile
  const [before, dirExists] = await Promise.all([listLabelled(docker, labels), host.exec(["test", "-d", names.dir], { allowFailure: true }).then((r) => r.code === 0)]);

  const ids = before.containers.map((c) => c.id).filter((id) => CONTAINER_ID.test(id));
  const networks = before.networks.filter((n) => DOCKER_NAME.test(n));
  const volumes = before.volumes.filter((v) => DOCKER_NAME.test(v));
  // `-t` (previews.stop_timeout): the data is deleted anyway, so an image that ignores SIGTERM is not
  // waited on for 10 s; `-t 0` kills at once. The force removal follows the stop either way.
  const timeoutSeconds = Math.max(0, Math.ceil(deps.stopTimeoutMs / 1000));
  const stops = Promise.all(ids.map((id) => docker.stopContainer(id, { timeoutSeconds }).catch((err: unknown) => {
    log.warn({ err, slug: names.slug }, "docker stop failed; removing by force");
  })));
  const removeContainers = stops.then(() => Promise.all(ids.map((id) => docker.removeContainer(id))));
  // A stop that has not ended after DETACH_AFTER_MS (an app still shutting down, an image that
  // ignores SIGTERM) gets its containers detached from the preview's networks (their endpoints go
  // while they shut down; what they say to other services meanwhile is lost, as their data is), so
  // a network's removal (~0.2 s of dockerd's work) starts then, beside the stop, not after it. A
  // stop that ends sooner already took the endpoints with it, and the removal starts then: a detach
  // beside it would only compete for dockerd (measured: no faster, ~30 ms slower).
  const slowStop = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(true), DETACH_AFTER_MS);
    void stops.then(() => {
      clearTimeout(timer);
      resolve(false);
    });
  });
  const ours = before.containers.filter((c) => CONTAINER_ID.test(c.id));
  const detach = (n: string): Promise<boolean> => {
    const attached = ours.filter((c) => (c.attachedNetworks ?? networks).includes(n));
    return Promise.all(attached.map((c) => docker.disconnectContainer(n, c.id))).then(() => true, (err: unknown) => {
      log.warn({ err, slug: names.slug, network: n }, "could not detach the preview's containers from a network; removing it after them");
      return false;
    });
  };
  // A network that still has an endpoint (a detach or stop that failed, a container attached or
  // brought back in between) is tried again once the containers are gone, and a second failure throws.
  const afterContainers = (n: string): Promise<void> => removeContainers.then(() => docker.removeNetwork(n));
  const networksGone = Promise.all(networks.map(async (n) => {
    if ((await slowStop) && !(await detach(n))) return afterContainers(n);
    return docker.removeNetwork(n).catch(() => afterContainers(n));
  }));
  // A volume stays in use until its container is removed, and so does the directory (bind mounts).
  // Every removal ends before this returns (and the caller lets go of the lock); the first failure is then thrown.
  const settled = await Promise.allSettled([
    networksGone,
    removeContainers.then(() => Promise.all(volumes.map((v) => docker.removeVolume(v)))),
    dirExists ? removeContainers.then(() => host.exec(["rm", "-rf", "--", names.dir])) : undefined,
    dnsRemoval,
    // The check for containers (a restart policy, a compose run racing us) as soon as they are
    // removed; a network or volume removal either succeeds (or finds it gone) or throws, so those need no second listing.
    ids.length > 0 ? removeContainers.then(() => containersLabelled(docker, labels)) : [],
  ] as const);
  const failure = settled.find((r) => r.status === "rejected");
  if (failure) throw failure.reason;
  const value = <T>(r: PromiseSettledResult<T>): T => (r as PromiseFulfilledResult<T>).value;
  const dnsOutcome = value(settled[3]);
  const containersLeft = value(settled[4]);

  if (before.containers.length > 0) removed.push(`containers: ${before.containers.map((c) => c.name).join(", ")}`);
  if (before.networks.length > 0) removed.push(`networks: ${before.networks.join(", ")}`);
  if (before.volumes.length > 0) removed.push(`volumes: ${before.volumes.join(", ")}`);
  if (dirExists) removed.push(`directory ${names.dir}`);
  if (dnsOutcome?.queued) removed.push(`DNS record ${names.hostname}: not removed yet (${dnsOutcome.error}); queued, the next clean-up sweep removes it`);
  else if (dns.kind !== "none" && removed.length > 0) removed.push(`DNS record ${names.hostname}`);

  const after = containersLeft.map((c) => `container ${c.name}`);
  if (after.length > 0) {
    throw new OpsError("remote_failed", `preview ${names.slug} could not be removed completely; left on host ${host.name}: ${after.join(", ")}`, `Remove them by hand (docker rm -f / docker network rm / docker volume rm), then run /preview destroy ${names.slug} again.`);
  }
  return removed;
}
