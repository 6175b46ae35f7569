import type Docker from "dockerode";
import { OpsError } from "../../core/errors.js";
import type { DockerClient, PrunedImages } from "./docker-client.js";
import { demuxDockerLogs } from "./demux-docker-logs.js";
import { createJsonLineSplitter } from "./split-json-lines.js";

/** The DockerClient methods that change or read resources one by one (containers, networks, volumes, images). */
export type ResourceMethods = Pick<DockerClient, "stopContainer" | "removeContainer" | "disconnectContainer" | "removeNetwork" | "removeVolume" | "pruneImages" | "hasImage" | "pullImage" | "containerLogs">;

/** Container ids and names, network and volume names as Docker makes them; never an option. */
const DOCKER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;
/** An image reference (`repo/name:tag`, `name@sha256:…`); never starts with `-`. */
const IMAGE_REF = /^[a-z0-9][A-Za-z0-9._/:@-]{0,254}$/;
/** A Docker `until` duration such as `72h`. */
const DURATION = /^\d{1,6}[hms]$/;

function checked(pattern: RegExp, value: string, what: string, nextStep: string): string {
  if (!pattern.test(value)) throw new OpsError("bad_input", `"${value.slice(0, 64)}" is not a ${what}`, nextStep);
  return value;
}
const name = (value: string, what: string): string => checked(DOCKER_NAME, value, what, "Give the name or id as Docker lists it.");
const imageRef = (value: string): string => checked(IMAGE_REF, value, "Docker image reference", "Give an image as repo/name:tag or name@sha256:digest.");

const isNotFound = (e: unknown): boolean => (e as { statusCode?: number }).statusCode === 404;

/**
 * Removal, prune, pull and logs through the Engine API. `docker` opens the lazily imported
 * dockerode client; `fail` turns a daemon error into an OpsError naming the host.
 */
export function createResourceMethods(docker: () => Promise<Docker>, fail: (what: string, e: unknown) => OpsError, checkLabel: (label: string) => string): ResourceMethods {
  /** Run a removal; "no such …" means it is already gone, which is what the caller wanted. */
  const remove = async (what: string, fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (e) {
      if (!isNotFound(e)) throw fail(what, e);
    }
  };

  return {
    async stopContainer(id, options) {
      const target = name(id, "container id or name");
      const t = Math.max(0, Math.min(3600, Math.ceil(options.timeoutSeconds)));
      try {
        await (await docker()).getContainer(target).stop({ t });
      } catch (e) {
        // 304: already stopped; 404: gone. Both are what the caller wanted.
        const status = (e as { statusCode?: number }).statusCode;
        if (status !== 304 && status !== 404) throw fail("stopping a container", e);
      }
    },

    async removeContainer(id) {
      const target = name(id, "container id or name");
      await remove("removing a container", async () => (await docker()).getContainer(target).remove({ force: true, v: true }));
    },

    async disconnectContainer(network, id) {
      const target = name(network, "network name");
      const container = name(id, "container id or name");
      try {
        await (await docker()).getNetwork(target).disconnect({ Container: container, Force: true });
      } catch (e) {
        // 404: the container is gone; dockerd answers 500 "is not connected to (the) network" when
        // it is not attached, or when the network is gone. All are what the caller wanted.
        if (!isNotFound(e) && !/is not connected to (the )?network/.test((e as Error).message ?? "")) throw fail("detaching a container from a network", e);
      }
    },

    async removeNetwork(network) {
      const target = name(network, "network name");
      await remove("removing a network", async () => (await docker()).getNetwork(target).remove());
    },

    async removeVolume(volume) {
      const target = name(volume, "volume name");
      await remove("removing a volume", async () => (await docker()).getVolume(target).remove({ force: true }));
    },

    async pruneImages(options) {
      const until = checked(DURATION, options.until, "Docker duration", "Give whole hours, minutes or seconds, e.g. 72h.");
      // `dangling=false` is what `docker image prune -a` sends: unused tagged images too, not only dangling ones.
      const filters: Record<string, string[]> = { until: [until], dangling: ["false"] };
      if (options.label !== undefined) filters["label"] = [checkLabel(options.label)];
      let result: { ImagesDeleted?: Array<{ Deleted?: string; Untagged?: string }> | null; SpaceReclaimed?: number };
      try {
        result = await (await docker()).pruneImages({ filters });
      } catch (e) {
        throw fail("pruning images", e);
      }
      const deleted = (result.ImagesDeleted ?? []).map((d) => d.Deleted ?? d.Untagged ?? "").filter(Boolean);
      return { deleted, reclaimedBytes: result.SpaceReclaimed ?? 0 } satisfies PrunedImages;
    },

    async hasImage(ref) {
      const target = imageRef(ref);
      try {
        await (await docker()).getImage(target).inspect();
        return true;
      } catch (e) {
        if (isNotFound(e)) return false;
        throw fail("inspecting an image", e);
      }
    },

    async pullImage(ref, options = {}) {
      const target = imageRef(ref);
      const timeoutMs = options.timeoutMs ?? 10 * 60_000;
      let stream: NodeJS.ReadableStream & { destroy?: () => void };
      try {
        stream = await (await docker()).pull(target);
      } catch (e) {
        throw fail(`pulling ${target}`, e);
      }
      // The daemon answers 200 and reports a failed pull as an `error` line in the progress stream.
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          stream.destroy?.();
          reject(new OpsError("timeout", `pulling ${target} did not finish within ${Math.round(timeoutMs / 1000)} s`, "Check the host's connection to the registry, then try again."));
        }, timeoutMs);
        const done = (err?: OpsError): void => {
          clearTimeout(timer);
          if (err) reject(err);
          else resolve();
        };
        let failure: string | undefined;
        stream.on("data", createJsonLineSplitter((value) => {
          const error = (value as { error?: unknown }).error;
          if (typeof error === "string") failure ??= error;
        }));
        stream.on("error", (e: Error) => done(fail(`pulling ${target}`, e)));
        stream.on("end", () => done(failure === undefined ? undefined : new OpsError("remote_failed", `pulling ${target} failed: ${failure.slice(0, 300)}`, "Check the image name and that the host can reach the registry (and is logged in to it).")));
      });
    },

    async containerLogs(id, options) {
      const target = name(id, "container id or name");
      const tail = Math.max(1, Math.min(10_000, Math.floor(options.tail)));
      try {
        const container = (await docker()).getContainer(target);
        const info = await container.inspect();
        const raw = await container.logs({ stdout: true, stderr: true, tail, follow: false });
        const bytes = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
        // Without a TTY Docker multiplexes both streams with 8-byte frame headers.
        return info.Config.Tty ? bytes.toString("utf8") : demuxDockerLogs(bytes);
      } catch (e) {
        if (isNotFound(e)) throw new OpsError("not_found", `container ${target} does not exist`, "List the containers again; it may have been removed.", { cause: e });
        throw fail("reading container logs", e);
      }
    },
  };
}
