// The shared sshd/dockerd for a TTL sweep test file: its shell and Docker client (closed after the
// file), what its tests made (previews by slug, base dirs; force-cleaned after the file) and a
// directory on the host holding one executable shim, to put first on a command's PATH.
import { afterAll } from "vitest";
import { env, forceClean, makeDocker, makeShell } from "../previews/preview-support.js";
import { uniqueName } from "../support/test-env.js";

/** The PATH a shim directory is put in front of. */
export const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export function sweepTestHost() {
  const shell = makeShell();
  const docker = makeDocker(shell);
  const cleanups: Array<{ slugs: string[]; baseDir: string }> = [];
  afterAll(async () => {
    for (const c of cleanups) await forceClean(shell, docker, c.slugs, c.baseDir);
    await docker.close();
    await shell.close();
  });
  /** A new host directory with `script` as the executable `name`; removed after the file. */
  async function shimDir(name: string, script: string): Promise<string> {
    const bin = `${env.previewsDir}/${uniqueName(`shim-${name}`)}`;
    cleanups.push({ slugs: [], baseDir: bin });
    await shell.writeFile(`${bin}/${name}`, script, 0o755);
    return bin;
  }
  return { shell, docker, cleanups, shimDir };
}
