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

export interface DockerClient {
  /** Containers (running and stopped unless `runningOnly`) carrying a label (`key` or `key=value`). */
  listByLabel(label: string, options?: { runningOnly?: boolean }): Promise<ContainerSummary[]>;
  inspect(id: string): Promise<ContainerSummary>;
  /**
   * Stream `health_status` events for containers matching `label`; call the returned function to
   * stop. Events that happen before the subscription are not replayed: callers subscribe first,
   * then check the current state.
   */
  onHealthEvents(label: string, listener: (event: HealthEvent) => void): Promise<() => void>;
  /** Stream `die` and `restart` events for containers matching `label`, like `onHealthEvents`. */
  onLifecycleEvents(label: string, listener: (event: LifecycleEvent) => void): Promise<() => void>;
  /** Names of networks / volumes carrying a label, for checks that nothing is left behind. */
  listNetworks(label: string): Promise<string[]>;
  listVolumes(label: string): Promise<string[]>;
  close(): Promise<void>;
}
