import type { ContainerSummary, DockerClient } from "../adapters/docker-client.js";

/** What carries any of a set of labels: containers (once each), network and volume names (once each). */
export interface LabelledResources {
  containers: ContainerSummary[];
  networks: string[];
  volumes: string[];
}

/** Containers carrying any of `labels` (`key` or `key=value`), once each: one listing per label, at once. */
export async function containersLabelled(docker: DockerClient, labels: readonly string[]): Promise<ContainerSummary[]> {
  const lists = await Promise.all(labels.map((l) => docker.listByLabel(l)));
  return [...new Map(lists.flat().map((c) => [c.id, c])).values()];
}

/**
 * Every container, network and volume carrying any of `labels`: one call per kind and label, all at
 * once. A preview's resources carry its preview label and (what compose made) its project label.
 */
export async function listLabelled(docker: DockerClient, labels: readonly string[]): Promise<LabelledResources> {
  const [containers, networks, volumes] = await Promise.all([
    containersLabelled(docker, labels),
    Promise.all(labels.map((l) => docker.listNetworks(l))),
    Promise.all(labels.map((l) => docker.listVolumes(l))),
  ]);
  return { containers, networks: [...new Set(networks.flat())], volumes: [...new Set(volumes.flat())] };
}
