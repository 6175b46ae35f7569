import type { ContainerEvent, ContainerSummary, DockerClient } from "./adapters/docker-client.js";

export type HealthOutcome =
  | { ok: true; containers: ContainerSummary[] }
  | { ok: false; reason: "unhealthy" | "exited" | "restarting" | "timeout" | "none"; failing: ContainerSummary[]; containers: ContainerSummary[] };

export interface WaitForHealthOptions {
  /** How often the state is listed again besides the events (the safety net; default 3 s). */
  recheckMs?: number;
  /** Only these of the listed containers count (e.g. not a compose project's one-off `run` containers). */
  include?: (c: ContainerSummary) => boolean;
  /** Settle as `none` when the first listing finds no container, instead of waiting for one to appear. */
  noneFails?: boolean;
}

/** Compose's own label naming the service a container belongs to. */
export function serviceOf(c: ContainerSummary): string {
  return c.labels["com.docker.compose.service"] ?? c.name;
}

/**
 * `died`: containers Docker reported a `die` for since the wait began. One that died and is not
 * simply `exited` was (or is being) restarted by its restart policy: a crash loop, failed at once
 * rather than after the whole health timeout.
 */
function judge(containers: ContainerSummary[], died: ReadonlySet<string>): HealthOutcome | null {
  if (containers.length === 0) return null;
  const looping = containers.filter((c) => c.state === "restarting" || (died.has(c.id) && c.state !== "exited" && c.state !== "dead"));
  if (looping.length > 0) return { ok: false, reason: "restarting", failing: looping, containers };
  const unhealthy = containers.filter((c) => c.health === "unhealthy");
  if (unhealthy.length > 0) return { ok: false, reason: "unhealthy", failing: unhealthy, containers };
  const exited = containers.filter((c) => c.state === "exited" || c.state === "dead");
  if (exited.length > 0) return { ok: false, reason: "exited", failing: exited, containers };
  const ready = containers.every((c) => c.state === "running" && (c.health === "healthy" || c.health === "none"));
  return ready ? { ok: true, containers } : null;
}

/**
 * Wait until every container with `label` is healthy (running, for those without a healthcheck),
 * or one turns unhealthy or exits, or `timeoutMs` passes. Driven by Docker `health_status`
 * events: we subscribe first, then look at the current state, so an event between the two is
 * never lost. Events do not cover a container without a healthcheck that exits, so the state is
 * also looked at every `recheckMs` as a safety net (much slower than the events that drive it).
 * Docker `die` / `restart` events drive it too: a service that crashes and is restarted by its
 * restart policy fails the wait at once (reason `restarting`), naming the service.
 * Previews (`start-preview.ts`) and deploys (`deploy/health-wait.ts`) both wait here.
 * All these events come on one stream, in Docker's order, so a `healthy` event can settle the wait
 * at once from the last listing plus the events since (see `view`), without listing again.
 */
export async function waitForHealth(docker: DockerClient, label: string, timeoutMs: number, options: WaitForHealthOptions = {}): Promise<HealthOutcome> {
  const { recheckMs = 3_000, include = () => true, noneFails = false } = options;
  let settle!: (outcome: HealthOutcome) => void;
  const done = new Promise<HealthOutcome>((resolve) => (settle = resolve));
  let finished = false;
  let checking = false;
  let again = false;
  let last: ContainerSummary[] = [];
  let lastError: unknown;
  /** Health events in arrival order; `listedAt`: how many had arrived when `last` was asked for. */
  const healthLog: Array<{ id: string; status: "healthy" | "unhealthy" | "starting" }> = [];
  let listedAt = -1;

  const check = async (): Promise<void> => {
    if (finished) return;
    if (checking) {
      again = true;
      return;
    }
    checking = true;
    try {
      do {
        again = false;
        try {
          const at = healthLog.length;
          const listed = (await docker.listByLabel(label)).filter(include);
          const first = listedAt < 0;
          if (at >= listedAt) [last, listedAt] = [listed, at];
          const none: HealthOutcome = { ok: false, reason: "none", failing: [], containers: [] };
          const outcome = first && noneFails && listed.length === 0 ? none : judge(listed, died);
          if (outcome && !finished) {
            finished = true;
            settle(outcome);
          }
        } catch (err) {
          lastError = err; // a transient API error; the next event or recheck tries again
        }
      } while (again && !finished);
    } finally {
      checking = false;
    }
  };

  /**
   * `last` with the health events that arrived since it was listed, or null when one names a
   * container it does not have. An event only moves a container's health forward (starting →
   * healthy or unhealthy, healthy → unhealthy), never back to healthy: an event still on its way
   * when the listing was taken may be older than the listing, so the view can be more pessimistic
   * than Docker, never more optimistic. A `die` or `restart` before it (same stream, in order) is
   * in `died`, which judge() counts as failing.
   */
  const view = (): ContainerSummary[] | null => {
    const byId = new Map(last.map((c) => [c.id, { ...c }]));
    for (const e of healthLog.slice(listedAt)) {
      const c = byId.get(e.id);
      if (!c) return null;
      if (c.health === "starting" || (c.health === "healthy" && e.status === "unhealthy")) c.health = e.status;
    }
    return [...byId.values()];
  };

  const died = new Set<string>();
  const onEvent = (e: ContainerEvent): void => {
    if (e.kind === "lifecycle") {
      died.add(e.containerId);
    } else {
      healthLog.push({ id: e.containerId, status: e.status });
      const seen = !finished && e.status === "healthy" && listedAt >= 0 ? view() : null;
      const outcome = seen ? judge(seen, died) : null;
      if (outcome?.ok) {
        finished = true;
        settle(outcome);
        return;
      }
    }
    void check();
  };
  const unsubscribe = await docker.onContainerEvents(label, onEvent);
  const timer = setTimeout(() => {
    if (finished) return;
    finished = true;
    const starting = last.filter((c) => !(c.state === "running" && (c.health === "healthy" || c.health === "none")));
    settle({ ok: false, reason: "timeout", failing: starting.length > 0 ? starting : last, containers: last });
  }, timeoutMs);
  const recheck = setInterval(() => void check(), recheckMs);
  try {
    await check();
    const outcome = await done;
    if (!outcome.ok && outcome.reason === "timeout" && last.length === 0 && lastError) throw lastError;
    return outcome;
  } finally {
    clearTimeout(timer);
    clearInterval(recheck);
    unsubscribe();
  }
}
