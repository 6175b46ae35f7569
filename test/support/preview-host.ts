// The set-up the end-to-end preview tests share: one SSH shell and Docker client to the test host
// (connected on first use, closed when the file ends), rigs from `makeRig` over them, and every
// slug and base directory a rig used force-cleaned at the end.
import { afterAll } from "vitest";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { forceClean, makeDocker, makeRig, makeShell, type PreviewRig } from "../previews/preview-support.js";

export interface PreviewHost {
  shell: SshHostShell;
  docker: DockerClient;
  /** What the file-level clean-up removes: these slugs' containers and the base directories. */
  cleanups: Array<{ slugs: string[]; baseDir: string }>;
  /** A rig over the shared shell and Docker client; its base dir (and `slugs`) are cleaned up at the end. */
  rig(options?: Partial<Parameters<typeof makeRig>[0]>, slugs?: string[]): Promise<PreviewRig>;
  /** Clean up `slug` of rig `r` at the end too. */
  track(r: PreviewRig, slug: string): void;
}

/** Call at the top of a test file: registers the file-level `afterAll` clean-up. */
export function usePreviewHost(): PreviewHost {
  const shell = makeShell();
  const docker = makeDocker(shell);
  const cleanups: PreviewHost["cleanups"] = [];
  afterAll(async () => {
    for (const c of cleanups) await forceClean(shell, docker, c.slugs, c.baseDir);
    await docker.close();
    await shell.close();
  });
  return {
    shell,
    docker,
    cleanups,
    async rig(options = {}, slugs = []) {
      const r = await makeRig({ shell, docker, ...options });
      cleanups.push({ slugs, baseDir: r.baseDir });
      return r;
    },
    track(r, slug) {
      cleanups.find((c) => c.baseDir === r.baseDir)?.slugs.push(slug);
    },
  };
}
