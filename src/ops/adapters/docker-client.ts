/** What we need from the Docker Engine API on a host (dockerode underneath). */

export interface ContainerSummary {
  id: string;
  name: string;
  image: string;
  state: string; // running, exited, created…
  /** `healthy`, `unhealthy`, `starting`, or `none` when the container has no healthcheck. */
  health: "healthy" | "unhealthy" | "starting" | "none";
  labels: Record<string, string>;
  /** How often the restart policy restarted it (`inspect` only). */
  restartCount?: number;
  /** Network name → the container's IPv4 address on it (`inspect` only), e.g. for a proxy upstream. */
  networks?: Record<string, string>;
  /** Names of the networks it is attached to (`listByLabel`), e.g. to detach it before a network removal. */
  attachedNetworks?: string[];
}

export interface HealthEvent {
  containerId: string;
  name: string;
  status: "healthy" | "unhealthy" | "starting";
  labels: Record<string, string>;
}

/** A container `die` or `restart` event (a crash, or the restart policy bringing it back). */
export interface LifecycleEvent {
  containerId: string;
  name: string;
  action: "die" | "restart";
  /** The exit code of a `die`, when Docker gives it. */
  exitCode?: number;
  labels: Record<string, string>;
}

/** One event of `onContainerEvents`: a health change, or a `die` / `restart`. */
export type ContainerEvent = ({ kind: "health" } & HealthEvent) | ({ kind: "lifecycle" } & LifecycleEvent);

export interface PruneImagesOptions {
  /** Only images created longer ago than this Docker duration, e.g. `72h`. */
  until: string;
  /** Only images carrying this label (`key` or `key=value`); every unused image when absent. */
  label?: string;
}

export interface PrunedImages {
  /** Image ids (and tags) Docker reported deleted or untagged. */
  deleted: string[];
  reclaimedBytes: number;
}

export interface DockerClient {
  /** Containers (running and stopped unless `runningOnly`) carrying a label (`key` or `key=value`). */
  listByLabel(label: string, options?: { runningOnly?: boolean }): Promise<ContainerSummary[]>;
  inspect(id: string): Promise<ContainerSummary>;
  /**
   * `health_status`, `die` and `restart` events for containers matching `label`, on one stream in
   * the order Docker emitted them (two separate streams are not ordered between each other); call
   * the returned function to stop. Events that happen before the subscription are not replayed:
   * callers subscribe first, then check the current state.
   */
  onContainerEvents(label: string, listener: (event: ContainerEvent) => void): Promise<() => void>;
  /** Only `die` and `restart` events, like `onContainerEvents`. */
  onLifecycleEvents(label: string, listener: (event: LifecycleEvent) => void): Promise<() => void>;
  /** Names of networks / volumes carrying a label, for checks that nothing is left behind. */
  listNetworks(label: string): Promise<string[]>;
  listVolumes(label: string): Promise<string[]>;
  /** `stop -t`: SIGTERM, then SIGKILL after `timeoutSeconds`; a container already stopped or gone is fine. */
  stopContainer(id: string, options: { timeoutSeconds: number }): Promise<void>;
  /** `rm -f -v`: stop and remove a container with its anonymous volumes; a container already gone is fine. */
  removeContainer(id: string): Promise<void>;
  /**
   * Force-detach a container from a network (its endpoint goes, even while it runs); a container or
   * network already gone, or a container not attached to it, is fine.
   */
  disconnectContainer(network: string, id: string): Promise<void>;
  /** Remove a network by name; one already gone is fine. */
  removeNetwork(name: string): Promise<void>;
  /** Remove a volume by name (forced); one already gone is fine. */
  removeVolume(name: string): Promise<void>;
  /**
   * `image prune -a`: remove images no container uses, created before `until` (a Docker duration
   * such as `72h`), optionally only those carrying `label` (`key` or `key=value`).
   */
  pruneImages(options: PruneImagesOptions): Promise<PrunedImages>;
  /** Whether the image is in the host's local image store (no registry is asked). */
  hasImage(ref: string): Promise<boolean>;
  /** Pull an image from its registry; throws with the daemon's message when the pull fails. */
  pullImage(ref: string, options?: { timeoutMs?: number }): Promise<void>;
  /** The last `tail` lines a container wrote, stdout and stderr interleaved as Docker stored them. */
  containerLogs(id: string, options: { tail: number }): Promise<string>;
  close(): Promise<void>;
}
