import type { Previews } from "../../config/schema.js";
import { OpsError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { DockerClient } from "../adapters/docker-client.js";
import type { HostShell } from "../adapters/host-shell.js";
import { PREVIEW_ROUTE_PREFIX, type ProxyClient, type ProxyRoute } from "../adapters/proxy-client.js";
import type { PreviewNames } from "./preview-names.js";
import { serviceOf } from "../wait-for-health.js";

/** The `.env` key of the generated basic-auth password (`previews.proxy.basic_auth`). */
export const BASIC_AUTH_PASSWORD_ENV = "PREVIEW_BASIC_AUTH_PASSWORD";
export const BASIC_AUTH_USER = "preview";
const BCRYPT = /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export interface PreviewRouteDeps {
  proxy: ProxyClient;
  docker: DockerClient;
  host: HostShell;
  config: Previews;
}

/** `opsdeck-preview-<slug>`: the route's `@id`, from the preview's DNS label (so at most 71 characters). */
export function previewRouteId(n: PreviewNames): string {
  return `${PREVIEW_ROUTE_PREFIX}${n.project}`;
}

/** Where the bcrypt hash of the basic-auth password is kept (mode 600), so a restart can re-apply the route. */
function hashFile(n: PreviewNames): string {
  return `${n.dir}/.basic-auth.bcrypt`;
}

/** The entry service's address on the preview network, from Docker. */
async function entryUpstream(deps: PreviewRouteDeps, n: PreviewNames): Promise<string> {
  const entry = deps.config.entry;
  if (!entry) throw new OpsError("config", "previews.proxy is set but previews.entry is not", "Set previews.entry: { service: app, port: 80 } to the service and port that answer the preview's URL.");
  const containers = (await deps.docker.listByLabel(n.label, { runningOnly: true })).filter((c) => serviceOf(c) === entry.service);
  if (!containers[0]) throw new OpsError("health_failed", `preview ${n.slug}: no running container of the entry service ${entry.service}`, "Check previews.entry.service names a service of the template.");
  const ip = (await deps.docker.inspect(containers[0].id)).networks?.[n.network];
  if (!ip || !IPV4.test(ip)) throw new OpsError("remote_failed", `preview ${n.slug}: the entry service ${entry.service} has no address on network ${n.network}`, "Check the entry service joins the preview network in the template.");
  return `${ip}:${entry.port}`;
}

/**
 * The bcrypt hash of the preview's basic-auth password: kept in the hash file, else made by
 * `caddy hash-password` on the host with the password on stdin (never in argv), from the `.env`.
 */
async function basicAuthHash(deps: PreviewRouteDeps, n: PreviewNames, fresh: boolean): Promise<string> {
  const kept = fresh ? null : (await deps.host.readFile(hashFile(n)))?.trim();
  if (kept && BCRYPT.test(kept)) return kept;
  const env = (await deps.host.readFile(n.envFile)) ?? "";
  const password = new RegExp(`^${BASIC_AUTH_PASSWORD_ENV}=(.+)$`, "m").exec(env)?.[1];
  if (!password) throw new OpsError("state", `preview ${n.slug}: ${BASIC_AUTH_PASSWORD_ENV} is missing from ${n.envFile}`, `Deploy the preview again (/preview ${n.slug}) to generate it.`);
  const r = await deps.host.exec(["caddy", "hash-password", "--algorithm", "bcrypt"], { stdin: `${password}\n` });
  const hash = r.stdout.trim().split("\n").pop() ?? "";
  if (!BCRYPT.test(hash)) throw new OpsError("remote_failed", `preview ${n.slug}: caddy hash-password on ${deps.host.name} did not print a bcrypt hash`, "Check that the caddy binary on the preview host is 2.6 or newer.");
  await deps.host.writeFile(hashFile(n), `${hash}\n`, 0o600);
  return hash;
}

async function buildRoute(deps: PreviewRouteDeps, n: PreviewNames, fresh: boolean): Promise<ProxyRoute> {
  const route: ProxyRoute = { id: previewRouteId(n), hostname: n.hostname, upstream: await entryUpstream(deps, n) };
  if (deps.config.proxy?.driver === "caddy" && deps.config.proxy.basic_auth) route.basicAuth = { username: BASIC_AUTH_USER, bcryptHash: await basicAuthHash(deps, n, fresh) };
  return route;
}

/** Route `preview-<slug>.<domain>` to the entry service (after the health wait). A failure fails the deploy. */
export async function publishPreviewRoute(deps: PreviewRouteDeps, n: PreviewNames): Promise<void> {
  try {
    await deps.proxy.putRoute(await buildRoute(deps, n, true));
  } catch (err) {
    const next = err instanceof OpsError ? err.nextStep : "Check Caddy on the preview host.";
    throw new OpsError(err instanceof OpsError ? err.code : "external_api", `preview ${n.slug}: routing ${n.hostname} through the proxy failed: ${(err as Error).message}`, next, { cause: err });
  }
}

/** Remove exactly this preview's route (idempotent); true when there was one. */
export async function removePreviewRoute(proxy: ProxyClient, n: PreviewNames): Promise<boolean> {
  return proxy.removeRoute(previewRouteId(n));
}

export interface RouteReconcileReport {
  /** Routes of running previews that were missing (e.g. Caddy restarted) and were put back. */
  restored: string[];
  /** opsdeck routes with no running preview, removed. */
  removed: string[];
  /** Routes that could not be put back, with the reason. */
  failed: string[];
}

/** Make the proxy hold exactly the routes of `running` previews (start-up, after a Caddy restart). */
export async function reconcilePreviewRoutes(deps: PreviewRouteDeps & { log: Logger }, running: PreviewNames[]): Promise<RouteReconcileReport> {
  const report: RouteReconcileReport = { restored: [], removed: [], failed: [] };
  const present = new Map((await deps.proxy.listRoutes()).map((r) => [r.id, r]));
  const wanted = new Set(running.map(previewRouteId));
  for (const n of running) {
    if (present.has(previewRouteId(n))) continue;
    try {
      await deps.proxy.putRoute(await buildRoute(deps, n, false));
      report.restored.push(n.hostname);
    } catch (err) {
      report.failed.push(`${n.hostname}: ${(err as Error).message}`);
    }
  }
  for (const [id, r] of present) {
    if (wanted.has(id) || !id.startsWith(`${PREVIEW_ROUTE_PREFIX}preview-`)) continue;
    await deps.proxy.removeRoute(id);
    report.removed.push(r.hostname || id);
  }
  if (report.restored.length + report.removed.length + report.failed.length > 0) deps.log.warn({ ...report }, "preview routes reconciled");
  return report;
}
