// Shared set-up for the four-front-ends test: the whole app (`createApp`) with previews on the
// SSH test host (test/support/preview-app.ts), and an access config that names an actor on every platform.
import type { Access, Previews } from "../../src/config/schema.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import type { PreviewOps } from "../../src/ops/previews/preview-types.js";
import { env } from "../previews/preview-support.js";
import { createPreviewApp } from "../support/preview-app.js";
import type { Harness } from "../support/router-harness.js";
import { uniqueName } from "../support/test-env.js";

export interface FrontEndRig {
  ops: PreviewOps;
  h: Harness;
  config: Previews;
  baseDir: string;
}

/** The app with previews on host `preview1` (the given shell), authorising with `access`; a fresh base directory. */
export async function makeFrontEndRig(o: { shell: SshHostShell; docker: DockerClient; access: Access }): Promise<FrontEndRig> {
  const baseDir = `${env.previewsDir}/${uniqueName("fe4")}`;
  return { ...(await createPreviewApp({ ...o, baseDir })), baseDir };
}

/** The credential values generated for a preview, read from its `.env` on the host. */
export async function readCredentials(shell: SshHostShell, rig: FrontEndRig, slug: string): Promise<string[]> {
  const text = (await shell.readFile(`${rig.baseDir}/${slug}/.env`)) ?? "";
  const values = text
    .split("\n")
    .filter((line) => rig.config.credentials.some((name) => line.startsWith(`${name}=`)))
    .map((line) => line.slice(line.indexOf("=") + 1).replace(/^['"]|['"]$/g, ""));
  if (values.length !== rig.config.credentials.length || values.some((v) => v.length < 16)) {
    throw new Error(`expected ${rig.config.credentials.length} generated credentials in ${rig.baseDir}/${slug}/.env`);
  }
  return values;
}

/** Poll `probe` until it returns a value (not undefined), or fail naming `what`. */
export async function waitUntil<T>(what: string, probe: () => T | undefined, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
