import { HostCommandError, OpsError } from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import type { DockerClient } from "../adapters/docker-client.js";
import { tailLines } from "../adapters/host-command-failure.js";
import type { PreviewNames } from "./preview-names.js";
import { serviceOf } from "../wait-for-health.js";

/** Compose v1 `Cannot start service app: …`; v2 `Error response from daemon: … (service app)` is caught by the container states. */
const CANNOT_START = /Cannot start service ([A-Za-z0-9][A-Za-z0-9_.-]*)/g;

/**
 * The error for a `compose up` that failed: names the service(s) that could not start (from
 * compose's output, else the containers that are not running) and carries the redacted tail of
 * compose's output as `details`, instead of only its last line.
 */
export async function describeStartFailure(deps: { docker: DockerClient; redact: Redactor; tailLines: number }, n: PreviewNames, err: unknown): Promise<OpsError> {
  if (!(err instanceof HostCommandError)) return err instanceof OpsError ? err : new OpsError("remote_failed", `preview ${n.slug}: compose up failed: ${deps.redact(String(err))}`, "Run the same compose command on the host to see why.", { cause: err });
  const output = deps.redact(err.stderr);
  const named = new Set([...output.matchAll(CANNOT_START)].map((m) => m[1] as string));
  if (named.size === 0) {
    const containers = await deps.docker.listByLabel(n.label).catch(() => []);
    for (const c of containers) if (c.state !== "running") named.add(serviceOf(c));
  }
  const services = [...named].join(", ");
  const lines = tailLines(output, Math.max(5, deps.tailLines)).split("\n");
  const latest = [...lines].reverse();
  const cause = latest.find((l) => /cannot start service/i.test(l)) ?? latest.find((l) => /error/i.test(l)) ?? latest[0] ?? "";
  const what = services ? `service ${services} could not start` : "compose up failed";
  return new OpsError(
    "remote_failed",
    `preview ${n.slug} failed: ${what}: ${cause.trim().slice(0, 300)}; everything it created was removed`,
    `Read compose's output below; fix ${services ? `service ${services} in ` : ""}the branch or the template, then run /preview again.`,
    { cause: err, details: lines.join("\n") || "(no output)" },
  );
}
