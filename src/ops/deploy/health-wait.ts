import { OpsError } from "../../core/errors.js";
import type { ContainerSummary, DockerClient, HealthEvent } from "../adapters/docker-client.js";

type FetchFn = typeof fetch;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function sameId(a: string, b: string): boolean {
  return a.startsWith(b) || b.startsWith(a);
}

/**
 * Wait until every container of the compose project is running and healthy (or has no
 * healthcheck). Driven by Docker `health_status` events: subscribe first, then read the current
 * state, so nothing is missed; a slow inspect every few seconds only catches containers that
 * exit (which send no health event). Fails at once on `unhealthy` or an exited container.
 */
export async function waitContainersHealthy(docker: DockerClient, project: string, deadline: number): Promise<ContainerSummary[]> {
  const label = `com.docker.compose.project=${project}`;
  const latest = new Map<string, HealthEvent["status"]>();
  let wake: () => void = () => undefined;
  const stop = await docker.onHealthEvents(label, (event) => {
    latest.set(event.containerId, event.status);
    wake();
  });
  try {
    const all = await docker.listByLabel(label);
    // One-off containers (`compose run`) are not part of the running service set.
    let containers = all.filter((c) => c.labels["com.docker.compose.oneoff"] !== "True");
    if (containers.length === 0) {
      throw new OpsError("health_failed", `no containers exist for compose project ${project} after up -d`, "Check the compose file defines the services, and the container logs.");
    }
    let lastPoll = Date.now();
    for (;;) {
      const statusOf = (c: ContainerSummary): string => {
        for (const [id, status] of latest) if (sameId(id, c.id)) return status;
        return c.health;
      };
      const down = containers.find((c) => c.state !== "running");
      if (down) throw new OpsError("health_failed", `container ${down.name} is ${down.state}, not running`, "Read the container logs below; fix the image or config and deploy again.");
      const sick = containers.find((c) => statusOf(c) === "unhealthy");
      if (sick) throw new OpsError("health_failed", `container ${sick.name} turned unhealthy`, "Read the container logs below; fix the image or its healthcheck and deploy again.");
      const waiting = containers.filter((c) => statusOf(c) === "starting");
      if (waiting.length === 0) return containers;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        throw new OpsError("health_failed", `container ${waiting.map((c) => c.name).join(", ")} did not turn healthy in time`, "Check the healthcheck and the container logs; raise health_timeout if the app starts slowly.");
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(remaining, 3000));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      if (Date.now() - lastPoll >= 3000 || Date.now() >= deadline) {
        lastPoll = Date.now();
        containers = await Promise.all(containers.map((c) => docker.inspect(c.id)));
      }
    }
  } finally {
    stop();
  }
}

/** Poll each URL until it answers 2xx/3xx or the deadline passes. */
export async function waitUrlsUp(urls: string[], deadline: number, fetchFn: FetchFn = fetch): Promise<void> {
  for (const url of urls) {
    let last = "no answer";
    for (;;) {
      try {
        const res = await fetchFn(url, { redirect: "manual", signal: AbortSignal.timeout(Math.max(1000, Math.min(5000, deadline - Date.now()))) });
        await res.body?.cancel();
        if (res.status >= 200 && res.status < 400) break;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = (err as Error).name === "TimeoutError" ? "timed out" : ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
      }
      if (Date.now() >= deadline) {
        throw new OpsError("health_failed", `health URL ${url} did not answer with 2xx/3xx in time (last: ${last})`, "Check the service and its proxy; raise health_timeout if the app starts slowly.");
      }
      await sleep(1000);
    }
  }
}

/** Each smoke check once (one retry on a network error); the status must equal `expect_status`. */
export async function runSmokeChecks(checks: Array<{ url: string; expect_status: number }>, fetchFn: FetchFn = fetch): Promise<void> {
  for (const check of checks) {
    let status: number | undefined;
    let error = "";
    for (let attempt = 0; attempt < 2 && status === undefined; attempt++) {
      try {
        const res = await fetchFn(check.url, { redirect: "manual", signal: AbortSignal.timeout(10_000) });
        await res.body?.cancel();
        status = res.status;
      } catch (err) {
        error = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
        if (attempt === 0) await sleep(1000);
      }
    }
    if (status !== check.expect_status) {
      throw new OpsError(
        "health_failed",
        `smoke check GET ${check.url} ${status === undefined ? `failed (${error})` : `answered ${status}`}, expected ${check.expect_status}`,
        "Check the new version by hand at that URL; fix and deploy again.",
      );
    }
  }
}
