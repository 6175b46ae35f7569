import { Agent } from "node:http";
import type Docker from "dockerode";
import type { Client } from "ssh2";
import { OpsError } from "../../core/errors.js";
import type { ContainerEvent, ContainerSummary, DockerClient, HealthEvent, LifecycleEvent } from "./docker-client.js";
import { createResourceMethods } from "./dockerode-resources.js";
import { createJsonLineSplitter } from "./split-json-lines.js";
import { SshSocketAgent } from "./ssh-socket-agent.js";

export type DockerClientOptions =
  | { socketPath: string }
  | {
      /** The host shell's shared SSH connection; the Docker socket is forwarded over it. */
      ssh: { connection(): Promise<Client> };
      /** Docker socket path on the SSH host. */
      socketPath: string;
    };

type Health = ContainerSummary["health"];

/** `Up 3 minutes (healthy)`, `Up 2 seconds (health: starting)`, `Up 1 minute (unhealthy)`. */
function healthFromStatus(status: string): Health {
  if (status.includes("(health: starting)")) return "starting";
  if (status.includes("(unhealthy)")) return "unhealthy";
  if (status.includes("(healthy)")) return "healthy";
  return "none";
}

function asHealth(value: unknown): Health {
  return value === "healthy" || value === "unhealthy" || value === "starting" ? value : "none";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!isRecord(value)) return out;
  for (const [k, v] of Object.entries(value)) if (typeof v === "string") out[k] = v;
  return out;
}

/** A Docker `health_status` event (`status: "health_status: healthy"`), or null for anything else. */
export function parseHealthEvent(value: unknown): HealthEvent | null {
  if (!isRecord(value)) return null;
  const action = typeof value["Action"] === "string" ? value["Action"] : value["status"];
  if (typeof action !== "string") return null;
  const m = /^health_status:\s*(healthy|unhealthy|starting)$/.exec(action.trim());
  if (!m) return null;
  const actor = isRecord(value["Actor"]) ? value["Actor"] : {};
  const attributes = stringRecord(actor["Attributes"]);
  const id = typeof actor["ID"] === "string" ? actor["ID"] : typeof value["id"] === "string" ? value["id"] : "";
  const { name = "", image: _image, ...labels } = attributes;
  return { containerId: id, name, status: m[1] as HealthEvent["status"], labels };
}

/** A Docker `die` / `restart` container event, or null for anything else. */
export function parseLifecycleEvent(value: unknown): LifecycleEvent | null {
  if (!isRecord(value)) return null;
  const action = typeof value["Action"] === "string" ? value["Action"] : value["status"];
  if (action !== "die" && action !== "restart") return null;
  const actor = isRecord(value["Actor"]) ? value["Actor"] : {};
  const attributes = stringRecord(actor["Attributes"]);
  const id = typeof actor["ID"] === "string" ? actor["ID"] : typeof value["id"] === "string" ? value["id"] : "";
  const { name = "", image: _image, exitCode, ...labels } = attributes;
  const code = exitCode !== undefined && /^\d+$/.test(exitCode) ? Number(exitCode) : undefined;
  return { containerId: id, name, action, ...(code !== undefined ? { exitCode: code } : {}), labels };
}

function checkLabel(label: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._\/-]*(=[^\0\n]*)?$/.test(label) || label.length > 512) {
    throw new OpsError("bad_input", `"${label.slice(0, 64)}" is not a Docker label filter`, "Give a label as key or key=value.");
  }
  return label;
}

/**
 * The Docker Engine API through dockerode: on the local socket, or on a remote host's socket
 * forwarded over the host shell's one SSH connection (see `SshSocketAgent`).
 */
export function createDockerClient(options: DockerClientOptions): DockerClient {
  const agent = "ssh" in options ? new SshSocketAgent(() => options.ssh.connection(), options.socketPath) : new Agent({ keepAlive: true });
  // docker-modem passes `agent` to http.request; @types/dockerode does not declare it.
  const dockerOptions: Docker.DockerOptions & { agent: Agent } = { socketPath: options.socketPath, agent };
  // dockerode (with its gRPC/protobuf dependencies) is imported on the first API call, not at
  // start-up: a one-shot `opsdeck run "/help"` or a bot that never touches Docker skips it.
  let client: Promise<Docker> | undefined;
  const docker = (): Promise<Docker> => (client ??= import("dockerode").then((m) => new m.default(dockerOptions)));
  const streams = new Set<NodeJS.ReadableStream & { destroy?: () => void }>();
  const where = "ssh" in options ? `Docker on the SSH host (${options.socketPath})` : `Docker at ${options.socketPath}`;

  const fail = (what: string, e: unknown): OpsError =>
    e instanceof OpsError ? e : new OpsError("remote_failed", `${what} on ${where} failed: ${(e as Error).message}`, "Check dockerd is running on the host and the user may use the Docker socket.", { cause: e });

  /** Follow Docker's event stream for containers with `label`; returns the unsubscribe function. */
  async function subscribe<E>(label: string, events: string[], what: string, parse: (value: unknown) => E | null, listener: (event: E) => void): Promise<() => void> {
    let stream: NodeJS.ReadableStream & { destroy?: () => void };
    try {
      stream = await (await docker()).getEvents({ filters: { type: ["container"], event: events, label: [checkLabel(label)] } });
    } catch (e) {
      throw fail(`subscribing to ${what}`, e);
    }
    streams.add(stream);
    const feed = createJsonLineSplitter((value) => {
      const event = parse(value);
      if (event) listener(event);
    });
    stream.on("data", feed);
    // A broken stream (host gone) just stops delivering; callers wait with their own timeout.
    stream.on("error", () => {});
    stream.on("close", () => streams.delete(stream));
    return () => {
      streams.delete(stream);
      stream.removeListener("data", feed);
      stream.destroy?.();
    };
  }

  return {
    async listByLabel(label, opts = {}) {
      try {
        const list = await (await docker()).listContainers({ all: !opts.runningOnly, filters: { label: [checkLabel(label)] } });
        return list.map((c) => ({
          id: c.Id,
          name: (c.Names[0] ?? "").replace(/^\//, ""),
          image: c.Image,
          state: c.State,
          health: healthFromStatus(c.Status ?? ""),
          labels: c.Labels ?? {},
          attachedNetworks: Object.keys(c.NetworkSettings?.Networks ?? {}),
        }));
      } catch (e) {
        throw fail("listing containers", e);
      }
    },

    async inspect(id) {
      let info: Docker.ContainerInspectInfo;
      try {
        info = await (await docker()).getContainer(id).inspect();
      } catch (e) {
        if ((e as { statusCode?: number }).statusCode === 404) {
          throw new OpsError("not_found", `container ${id.slice(0, 64)} does not exist`, "List the containers again; it may have been removed.", { cause: e });
        }
        throw fail("inspecting a container", e);
      }
      return {
        id: info.Id,
        name: info.Name.replace(/^\//, ""),
        image: info.Config.Image,
        state: info.State.Status,
        health: asHealth(info.State.Health?.Status),
        labels: info.Config.Labels ?? {},
        restartCount: info.RestartCount,
        networks: Object.fromEntries(Object.entries(info.NetworkSettings?.Networks ?? {}).filter(([, n]) => n.IPAddress).map(([k, n]) => [k, n.IPAddress])),
      };
    },

    onLifecycleEvents: (label, listener) => subscribe(label, ["die", "restart"], "container events", parseLifecycleEvent, listener),

    onContainerEvents: (label, listener) =>
      subscribe<ContainerEvent>(label, ["health_status", "die", "restart"], "container events", (value) => {
        const health = parseHealthEvent(value);
        if (health) return { kind: "health", ...health };
        const lifecycle = parseLifecycleEvent(value);
        return lifecycle ? { kind: "lifecycle", ...lifecycle } : null;
      }, listener),

    async listNetworks(label) {
      try {
        const list = await (await docker()).listNetworks({ filters: { label: [checkLabel(label)] } });
        return list.map((n) => n.Name);
      } catch (e) {
        throw fail("listing networks", e);
      }
    },

    async listVolumes(label) {
      try {
        const list = await (await docker()).listVolumes({ filters: { label: [checkLabel(label)] } });
        return (list.Volumes ?? []).map((v) => v.Name);
      } catch (e) {
        throw fail("listing volumes", e);
      }
    },

    ...createResourceMethods(docker, fail, checkLabel),

    async close() {
      for (const s of streams) s.destroy?.();
      streams.clear();
      agent.destroy();
    },
  };
}
