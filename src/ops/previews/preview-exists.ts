import { OpsError } from "../../core/errors.js";
import { escapeEcho } from "../../core/validate.js";
import type { DockerClient } from "../adapters/docker-client.js";
import type { HostShell } from "../adapters/host-shell.js";
import type { PreviewNames } from "./preview-names.js";

/**
 * Whether anything of a preview is left on its host: a container, network or volume with its
 * label, or its directory. Asked before `destroy` takes a lock, so a name that never existed
 * gets "no preview named …" and no lock file.
 */
export async function previewExistsOnHost(host: HostShell, docker: DockerClient, n: PreviewNames): Promise<boolean> {
  const [containers, networks, volumes, dir] = await Promise.all([
    docker.listByLabel(n.label),
    docker.listNetworks(n.label),
    docker.listVolumes(n.label),
    host.exec(["test", "-e", n.dir], { allowFailure: true }),
  ]);
  return containers.length + networks.length + volumes.length > 0 || dir.code === 0;
}

/** Of `dirs`, those that exist on the host as directories: one command for all of them. */
export async function existingDirs(host: HostShell, dirs: readonly string[]): Promise<Set<string>> {
  if (dirs.length === 0) return new Set();
  const r = await host.exec(["sh", "-c", 'for d in "$@"; do test -d "$d" && echo "$d"; done; true', "opsdeck-dirs", ...dirs]);
  return new Set(r.stdout.split("\n").filter((d) => d !== ""));
}

/** The refusal for a destroy (or extend) of a name nothing is known about. */
export function noSuchPreview(name: string): OpsError {
  return new OpsError("not_found", `no preview named ${escapeEcho(name, 80)}`, "/preview list shows the live ones.");
}
