import ms from "ms";
import { OpsError } from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import type { ComposeClient } from "../adapters/compose-client.js";
import type { DockerClient } from "../adapters/docker-client.js";
import type { PreviewNames } from "./preview-names.js";
import { serviceOf, type HealthOutcome } from "../wait-for-health.js";

const CONTAINER_ID = /^[0-9a-f]{12,64}$/;

export interface HealthFailureDeps {
  docker: DockerClient;
  compose: ComposeClient;
  redact: Redactor;
  logTailLines: number;
  healthTimeoutMs: number;
}

/**
 * The error for a preview that did not turn healthy: names the failing service(s) and carries
 * the redacted last log lines of the first one as `details` (shown as a code block).
 */
export async function describeHealthFailure(deps: HealthFailureDeps, n: PreviewNames, outcome: Exclude<HealthOutcome, { ok: true }>): Promise<OpsError> {
  const { docker, compose, redact, logTailLines } = deps;
  const failing = outcome.failing[0];
  const service = failing ? serviceOf(failing) : undefined;
  let tail = "";
  try {
    // The failing container's logs (both streams) from the Engine API, not `compose logs`: same lines, no compose start-up.
    if (failing && CONTAINER_ID.test(failing.id)) {
      tail = redact((await docker.containerLogs(failing.id, { tail: logTailLines })).trim());
    } else {
      tail = redact(await compose.logs({ name: n.project, dir: n.dir }, logTailLines, service));
    }
  } catch (err) {
    tail = `(could not read the logs: ${redact((err as Error).message)})`;
  }
  const services = [...new Set(outcome.failing.map(serviceOf))].join(", ") || "(no container started)";
  const what =
    outcome.reason === "timeout"
      ? `did not become healthy within ${ms(deps.healthTimeoutMs, { long: true })}: ${services}`
      : outcome.reason === "unhealthy"
        ? `service ${services} became unhealthy`
        : outcome.reason === "restarting"
          ? `service ${services} keeps crashing (it exited and its restart policy restarted it)`
          : outcome.reason === "none"
            ? "no container was started"
            : `service ${services} exited`;
  return new OpsError(
    outcome.reason === "timeout" ? "timeout" : "health_failed",
    `preview ${n.slug} failed: ${what}; everything it created was removed`,
    `Read the log tail of ${service ?? "the service"} below, fix the branch or the template, then run /preview again.`,
    { details: tail || "(no log output)" },
  );
}
