import { OpsError } from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import type { DockerClient } from "../adapters/docker-client.js";

/** An image reference as docker accepts it; never starts with `-`. */
const IMAGE_REF = /^[a-z0-9][A-Za-z0-9._/:@-]*$/;

/** Config `previews.pull`. */
export type PullPolicy = "always" | "missing" | "never";

/** Where the images go: the host's Docker Engine API, and the host's name for messages. */
export interface PullTarget {
  docker: DockerClient;
  hostName: string;
}

/**
 * Make sure each image is on the host, per `policy`, in parallel, through the Engine API rather
 * than `compose pull` (the same pulls without compose v1's ~2 s start-up). Whether an image is
 * present is asked of the local image store only, so `missing` and `never` never reach a registry.
 * - `always`: pull every image; a failed pull of an image already on the host is a warning.
 * - `missing` (default): pull only images not on the host; a local image is used without a word.
 * - `never`: pull nothing; an image missing from the host fails the deploy.
 */
export async function pullImages(target: PullTarget, redact: Redactor, images: string[], warnings: string[], policy: PullPolicy = "always"): Promise<void> {
  const { docker, hostName } = target;
  const unique = [...new Set(images)].filter((i) => IMAGE_REF.test(i));
  const failed: string[] = [];
  const present = (image: string): Promise<boolean> => docker.hasImage(image);
  await Promise.all(
    unique.map(async (image) => {
      if (policy !== "always" && (await present(image))) return;
      if (policy === "never") {
        failed.push(`${image}: not on the host and previews.pull is never`);
        return;
      }
      const error = await docker.pullImage(image, { timeoutMs: 10 * 60_000 }).then(() => null, (e: unknown) => (e instanceof Error ? e.message : String(e)));
      if (error === null) return;
      if (policy === "always" && (await present(image))) warnings.push(`pulling ${image} failed; the copy already on ${hostName} was used`);
      else failed.push(`${image}: ${redact(error.trim().split("\n").pop() ?? "").slice(0, 200)}`);
    }),
  );
  if (failed.length > 0) {
    const next = policy === "never" ? "Build or load the image on the host, or set previews.pull: missing." : "Check the image name (previews.image, --sha) and that the host can reach the registry.";
    throw new OpsError("remote_failed", `the preview images are not on host ${hostName} and could not be pulled: ${failed.join("; ")}`, next);
  }
}
