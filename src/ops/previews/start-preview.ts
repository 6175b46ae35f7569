import ms from "ms";
import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { PreviewRecord } from "../../store/state.js";
import { buildPreviewEnv } from "./build-preview-env.js";
import { describeHealthFailure } from "./describe-health-failure.js";
import { describeStartFailure } from "./describe-start-failure.js";
import type { PreviewContext } from "./preview-context.js";
import type { PreviewNames } from "./preview-names.js";
import { BASIC_AUTH_PASSWORD_ENV, publishPreviewRoute } from "./preview-route.js";
import type { StartedPreview } from "./preview-types.js";
import { publishPreviewDns } from "./publish-preview-dns.js";
import { pullImages } from "./pull-images.js";
import type { StepMark } from "./step-timer.js";
import type { checkRenderedCompose } from "./render-template.js";
import { waitForEntry } from "./wait-for-entry.js";
import { waitForHealth } from "../wait-for-health.js";

export interface StartRequest {
  n: PreviewNames; branch: string; ref: string; ttlMs: number; shape: ReturnType<typeof checkRenderedCompose>; rendered: string;
  opId: string; redeployed: boolean; warnings: string[]; progress: ProgressFn;
  /** Timing marks (debug log). */
  mark: StepMark;
}

/**
 * The part of a deploy run under the host lock: write files, publish DNS, pull, start, wait for
 * health and the entry port, route through the proxy, then mark the record `running`.
 */
export async function startPreview(ctx: PreviewContext, a: StartRequest): Promise<StartedPreview> {
  const { config, host, compose, docker, redact, clock, log, proxy, generateSecret, say } = ctx;
  const { n, progress, mark } = a;
  const project = { name: n.project, dir: n.dir };
  const credentials = config.proxy?.driver === "caddy" && config.proxy.basic_auth ? [...config.credentials, BASIC_AUTH_PASSWORD_ENV] : config.credentials;
  // No separate `compose config` pass: `up` validates the same file and interpolation (a compose v1
  // start is about a second), and its failure is reported with compose's own message. The two files,
  // the DNS record and the image check are independent, so they run at once on the one connection;
  // all settle before a failure is thrown, so the clean-up never races a pull still running.
  await say(progress, `Preview ${n.slug}: writing credentials and the compose file, publishing ${n.hostname} and ${config.pull === "never" ? "checking" : "pulling"} images (previews.pull: ${config.pull})…`);
  const steps = await Promise.allSettled([
    buildPreviewEnv({ host, redact, credentials, generateSecret }, n, a.ref).then((envText) => host.writeFile(n.envFile, envText, 0o600)).then(() => mark(".env written")),
    host.writeFile(n.composeFile, a.rendered, 0o644).then(() => mark("compose file written")),
    publishPreviewDns(ctx, n, a.warnings).then(() => mark("DNS published")),
    pullImages({ docker, hostName: host.name }, redact, a.shape.images, a.warnings, config.pull).then(() => mark("images checked")),
    // Which compose the host has (asked once per host), looked up now rather than in front of `up`.
    compose.binary().then(() => mark("compose detected")),
  ]);
  for (const step of steps) if (step.status === "rejected") throw step.reason;
  await say(progress, `Preview ${n.slug}: starting ${a.shape.services.join(", ")}…`);
  try {
    await compose.up(project, { timeoutMs: 10 * 60_000 });
    mark("compose up done");
  } catch (err) {
    throw await describeStartFailure({ docker, redact, tailLines: config.log_tail_lines }, n, err);
  }
  await say(progress, `Preview ${n.slug}: waiting for ${a.shape.services.join(", ")} to become healthy (at most ${ms(config.health_timeout)})…`);
  const healthStarted = Date.now();
  const outcome = await waitForHealth(docker, n.label, config.health_timeout);
  mark("healthy");
  if (!outcome.ok) throw await describeHealthFailure({ docker, compose, redact, logTailLines: config.log_tail_lines, healthTimeoutMs: config.health_timeout }, n, outcome);
  const entry = await waitForEntry(host, docker, n, outcome.containers, config.entry, Math.max(1_000, config.health_timeout - (Date.now() - healthStarted)));
  if (entry.silent) {
    const entryContainers = outcome.containers.filter((c) => c.labels["com.docker.compose.service"] === entry.silent?.service);
    const failure = await describeHealthFailure({ docker, compose, redact, logTailLines: config.log_tail_lines, healthTimeoutMs: config.health_timeout }, n, { ok: false, reason: "timeout", failing: entryContainers, containers: outcome.containers });
    throw new OpsError("timeout", `preview ${n.slug} failed: service ${entry.silent.service} has no healthcheck and did not answer on port ${entry.silent.port} within ${ms(config.health_timeout, { long: true })}; everything it created was removed`, `Check that ${entry.silent.service} listens on ${entry.silent.port} (previews.entry), or give it a healthcheck; read its log tail below.`, { details: failure.details });
  }

  if (proxy) {
    await say(progress, `Preview ${n.slug}: routing ${n.hostname} through ${proxy.driver}…`);
    await publishPreviewRoute({ proxy, docker, host, config }, n);
    mark("proxy route published");
  }

  const now = clock();
  const expiresAt = new Date(now.getTime() + a.ttlMs);
  // The record's `running` and the operation's end in one (durable) state write, not two in a row.
  let record: PreviewRecord | undefined;
  await ctx.journal.finishMany([{ id: a.opId, status: "succeeded", summary: `preview ${n.slug} is up at ${n.url}` }], (s) => {
    const rec = s.previews.find((p) => p.slug === n.slug);
    if (rec) Object.assign(rec, { status: "running", updatedAt: now.toISOString(), expiresAt: expiresAt.toISOString() });
    record = rec ? { ...rec } : undefined;
  });
  mark("recorded");
  log.info({ slug: n.slug, branch: a.branch, ref: a.ref, url: n.url }, "preview deployed");
  return {
    slug: n.slug, branch: a.branch, ref: a.ref, host: host.name, project: n.project, hostname: n.hostname, url: n.url,
    dir: n.dir, envFile: n.envFile, services: a.shape.services, serviceStates: entry.states,
    createdAt: new Date(record?.createdAt ?? now.toISOString()), expiresAt, redeployed: a.redeployed, warnings: a.warnings,
  };
}
