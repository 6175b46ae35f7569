import type { EnvRoute } from "../../config/environments-config.js";
import type { ProgressFn } from "../../core/command.js";
import { OpsError } from "../../core/errors.js";
import type { ComposeProject } from "../adapters/compose-client.js";
import type { ProxyClient } from "../adapters/proxy-client.js";
import { waitContainersHealthy } from "./health-wait.js";
import type { NodeSteps } from "./node-steps.js";

/** What a rolling deploy (and the env route of any deploy) needs beyond the node's adapters. */
export interface RouteTarget {
  /** The environment's name: the route id is `opsdeck-env-<name>`. */
  envName: string;
  proxy: ProxyClient;
}

export const envRouteId = (envName: string): string => `opsdeck-env-${envName}`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** `ip:port` of a container on its first network (compose puts it on the project's network). */
async function upstreamOf(s: NodeSteps, id: string, port: number): Promise<string> {
  const c = await s.target.docker.inspect(id);
  const ip = Object.values(c.networks ?? {}).find((a) => a !== "");
  if (!ip) throw new OpsError("remote_failed", `container ${c.name} has no network address for the proxy route`, "Check that the service is on a compose network (not network_mode: host/none).");
  return `${ip}:${port}`;
}

/** Upsert the env route (`@id opsdeck-env-<env>`) to the route service's current container. */
export async function pointEnvRoute(s: NodeSteps, rt: RouteTarget, route: EnvRoute, project: ComposeProject): Promise<void> {
  const [id] = await s.target.compose.ps(project, { services: [route.service] });
  if (!id) throw new OpsError("health_failed", `no container of ${route.service} runs for the proxy route`, "Check the compose file defines the service, and its logs.");
  const upstream = await upstreamOf(s, id, route.port);
  if (!(await rt.proxy.setUpstream(envRouteId(rt.envName), upstream))) await rt.proxy.putRoute({ id: envRouteId(rt.envName), hostname: route.host, upstream });
}

/**
 * The rolling variant of `up`: the services not named in `zero_downtime.services` first get a
 * plain `up -d` (only those services, `--no-deps`); then per service of `zero_downtime.services`: a second container with
 * the new tag next to the old one (`up --scale <svc>=2 --no-recreate`), wait until it is healthy,
 * move the route to it (for the route's service), drain, stop and remove the old one, scale back
 * to 1. A new container that never turns healthy is removed; the old one keeps serving and the
 * deploy fails with the health details and the new container's last log lines.
 */
export async function rollingUp(s: NodeSteps, rt: RouteTarget, project: ComposeProject, deadline: number, progress: ProgressFn): Promise<void> {
  const zd = s.env.zero_downtime;
  const route = s.env.route;
  if (!zd || !route) throw new OpsError("config", "strategy rolling needs zero_downtime and route", "Set environments.<env>.zero_downtime.services and environments.<env>.route.");
  const { compose, docker } = s.target;
  // The services not rolled go up the normal way first (recreated with the new tag), left to their own.
  const others = (await compose.services(project)).filter((svc) => !zd.services.includes(svc));
  if (others.length > 0) {
    await progress(`${others.join(", ")}: up -d (not rolled)`);
    await compose.up(project, { services: others, noDeps: true });
  }
  for (const svc of zd.services) {
    const old = await compose.ps(project, { services: [svc] });
    if (old.length === 0) {
      // First deploy: nothing to keep serving.
      await compose.up(project, { services: [svc] });
      await waitContainersHealthy(docker, project.name, deadline);
      if (svc === route.service) await pointEnvRoute(s, rt, route, project);
      continue;
    }
    await progress(`${svc}: starting a second container with the new tag`);
    await compose.up(project, { services: [svc], scale: { [svc]: old.length + 1 }, noRecreate: true });
    const fresh = (await compose.ps(project, { services: [svc] })).filter((id) => !old.some((o) => o.startsWith(id) || id.startsWith(o)));
    try {
      if (fresh.length === 0) throw new OpsError("remote_failed", `compose started no new container of ${svc}`, "Check `compose up --scale` on the host; the old container still serves.");
      await waitContainersHealthy(docker, project.name, deadline);
      if (svc === route.service) await rt.proxy.setUpstream(envRouteId(rt.envName), await upstreamOf(s, fresh[0] ?? "", route.port)).then(async (found) => {
        if (!found) await pointEnvRoute(s, rt, route, project);
      });
    } catch (err) {
      const logs = await docker.containerLogs(fresh[0] ?? "", { tail: 20 }).catch(() => "");
      for (const id of fresh) await docker.removeContainer(id);
      const message = s.redact(err instanceof Error ? err.message : String(err));
      throw new OpsError("health_failed", `rolling deploy of ${svc}: the new container did not turn healthy (${message}); removed it, the old one keeps serving`, "Read the new container's logs in the details; fix the image or its healthcheck and deploy again.", { details: s.redact(logs.slice(-4000)), cause: err });
    }
    await progress(`${svc}: route moved, draining the old container for ${Math.round(zd.drain / 1000)} s`);
    await sleep(zd.drain);
    for (const id of old) {
      await docker.stopContainer(id, { timeoutSeconds: 10 });
      await docker.removeContainer(id);
    }
    await compose.up(project, { services: [svc], scale: { [svc]: 1 }, noRecreate: true });
  }
}
