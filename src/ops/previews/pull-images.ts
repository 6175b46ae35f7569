import { OpsError } from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import type { HostShell } from "../adapters/host-shell.js";

/** An image reference as docker accepts it; never starts with `-`. */
const IMAGE_REF = /^[a-z0-9][A-Za-z0-9._/:@-]*$/;

/** Config `previews.pull`. */
export type PullPolicy = "always" | "missing" | "never";

/**
 * Make sure each image is on the host, per `policy`, in parallel: `docker pull` rather than
 * `compose pull` (the same pulls without compose v1's ~2 s start-up).
 * - `always`: pull every image; a failed pull of an image already on the host is a warning.
 * - `missing` (default): pull only images not on the host; a local image is used without a word.
 * - `never`: pull nothing; an image missing from the host fails the deploy.
 */
export async function pullImages(host: HostShell, redact: Redactor, images: string[], warnings: string[], policy: PullPolicy = "always"): Promise<void> {
  const unique = [...new Set(images)].filter((i) => IMAGE_REF.test(i));
  const failed: string[] = [];
  const present = async (image: string): Promise<boolean> => (await host.exec(["docker", "image", "inspect", "--format", "{{.Id}}", image], { allowFailure: true })).code === 0;
  await Promise.all(
    unique.map(async (image) => {
      if (policy !== "always" && (await present(image))) return;
      if (policy === "never") {
        failed.push(`${image}: not on the host and previews.pull is never`);
        return;
      }
      const pulled = await host.exec(["docker", "pull", "-q", image], { allowFailure: true, timeoutMs: 10 * 60_000 });
      if (pulled.code === 0) return;
      if (policy === "always" && (await present(image))) warnings.push(`pulling ${image} failed; the copy already on ${host.name} was used`);
      else failed.push(`${image}: ${redact(pulled.stderr.trim().split("\n").pop() ?? "").slice(0, 200)}`);
    }),
  );
  if (failed.length > 0) {
    const next = policy === "never" ? "Build or load the image on the host, or set previews.pull: missing." : "Check the image name (previews.image, --sha) and that the host can reach the registry.";
    throw new OpsError("remote_failed", `the preview images are not on host ${host.name} and could not be pulled: ${failed.join("; ")}`, next);
  }
}
