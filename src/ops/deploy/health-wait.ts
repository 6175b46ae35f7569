import { OpsError } from "../../core/errors.js";
import type { ContainerSummary, DockerClient } from "../adapters/docker-client.js";
import { waitForHealth, type HealthOutcome } from "../wait-for-health.js";

type FetchFn = typeof fetch;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A compose project's one-off containers (`compose run`, e.g. migrations) are not part of its running service set. */
const notOneOff = (c: ContainerSummary): boolean => c.labels["com.docker.compose.oneoff"] !== "True";

/** The deploy's words for a failed wait (the preview's are in describe-health-failure.ts). */
function healthError(outcome: Exclude<HealthOutcome, { ok: true }>, project: string): OpsError {
  const names = outcome.failing.map((c) => c.name).join(", ") || `of ${project}`;
  switch (outcome.reason) {
    case "none":
      return new OpsError("health_failed", `no containers exist for compose project ${project} after up -d`, "Check the compose file defines the services, and the container logs.");
    case "restarting":
      return new OpsError("health_failed", `container ${names} keeps crashing (it exited and its restart policy restarted it)`, "Read the container logs below; fix the image or config and deploy again.");
    case "exited":
      return new OpsError("health_failed", `container ${names} is ${outcome.failing[0]?.state ?? "exited"}, not running`, "Read the container logs below; fix the image or config and deploy again.");
    case "unhealthy":
      return new OpsError("health_failed", `container ${names} turned unhealthy`, "Read the container logs below; fix the image or its healthcheck and deploy again.");
    case "timeout":
      return new OpsError("health_failed", `container ${names} did not turn healthy in time`, "Check the healthcheck and the container logs; raise health_timeout if the app starts slowly.");
  }
}

/**
 * Wait until every container of the compose project is running and healthy (or has no
 * healthcheck), through the same wait as previews (`../wait-for-health.ts`): Docker's health and
 * `die`/`restart` events on one ordered stream, subscribed before the first listing. Fails at once on
 * `unhealthy`, an exited container or a crash loop, and when `up -d` left no container at all.
 */
export async function waitContainersHealthy(docker: DockerClient, project: string, deadline: number): Promise<ContainerSummary[]> {
  const outcome = await waitForHealth(docker, `com.docker.compose.project=${project}`, Math.max(0, deadline - Date.now()), { include: notOneOff, noneFails: true });
  if (outcome.ok) return outcome.containers;
  throw healthError(outcome, project);
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
