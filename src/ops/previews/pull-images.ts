import { OpsError } from "../../core/errors.js";
import type { Redactor } from "../../core/redact.js";
import type { HostShell } from "../adapters/host-shell.js";

/** An image reference as docker accepts it; never starts with `-`. */
const IMAGE_REF = /^[a-z0-9][A-Za-z0-9._/:@-]*$/;

/**
 * `docker pull` of each image, in parallel, rather than `compose pull`: the same pulls without
 * compose v1's ~2 s start-up. A failed pull is not fatal when the image is already on the host
 * (no registry reachable, or a locally built image); it adds a warning instead.
 */
export async function pullImages(host: HostShell, redact: Redactor, images: string[], warnings: string[]): Promise<void> {
  const unique = [...new Set(images)].filter((i) => IMAGE_REF.test(i));
  const failed: string[] = [];
  await Promise.all(
    unique.map(async (image) => {
      const pulled = await host.exec(["docker", "pull", "-q", image], { allowFailure: true, timeoutMs: 10 * 60_000 });
      if (pulled.code === 0) return;
      const present = (await host.exec(["docker", "image", "inspect", "--format", "{{.Id}}", image], { allowFailure: true })).code === 0;
      if (!present) failed.push(`${image}: ${redact(pulled.stderr.trim().split("\n").pop() ?? "").slice(0, 200)}`);
      else warnings.push(`pulling ${image} failed; the copy already on ${host.name} was used`);
    }),
  );
  if (failed.length > 0) {
    throw new OpsError("remote_failed", `pulling the preview images failed and they are not on host ${host.name}: ${failed.join("; ")}`, "Check the image name (previews.image, --sha) and that the host can reach the registry.");
  }
}
