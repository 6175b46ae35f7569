// Shared set-up for the four-front-ends test: the real preview ops and handler (real sshd +
// dockerd, healthy.yml template) behind one real router whose access config names an actor on
// every platform — the same wiring `makeRig` in test/previews/preview-support.ts builds, plus roles.
import { Previews, type Access } from "../../src/config/schema.js";
import { createRedactor } from "../../src/core/redact.js";
import { createPreviewHandler } from "../../src/handlers/preview.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createPreviewOps } from "../../src/ops/previews/create-preview-ops.js";
import type { PreviewOps } from "../../src/ops/previews/preview-types.js";
import { createRecordingDns, env } from "../previews/preview-support.js";
import { createHarness, type Harness } from "../support/router-harness.js";
import { repoRoot, uniqueName } from "../support/test-env.js";

export interface FrontEndRig {
  ops: PreviewOps;
  h: Harness;
  config: Previews;
  baseDir: string;
}

/** Preview ops + handler behind a real router that authorises with `access`; a fresh base directory. */
export async function makeFrontEndRig(o: { shell: SshHostShell; docker: DockerClient; access: Access }): Promise<FrontEndRig> {
  const baseDir = `${env.previewsDir}/${uniqueName("fe4")}`;
  const config = Previews.parse({
    host: "preview1",
    base_dir: baseDir,
    domain: "preview.test",
    url: "http://{hostname}:8080",
    image: env.images.busybox,
    quota: 20,
    min_free_disk_mb: 0,
    min_free_memory_mb: 0,
    health_timeout: "40s",
    log_tail_lines: 10,
    dns_target: "127.0.0.1",
  });
  const redact = createRedactor();
  // The handler needs the ops, the ops need the harness's store: build the harness first with a
  // forwarding handler, then fill it in.
  let ops: PreviewOps | undefined;
  const handler = (): ReturnType<typeof createPreviewHandler> => {
    if (!ops) throw new Error("front-end rig used before it was built");
    return createPreviewHandler({ ops, config });
  };
  const h = await createHarness({
    handlers: [
      {
        name: "preview",
        summary: "preview environments",
        usage: [],
        prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
        permission: (args) => handler().permission(args),
        run: (command, progress) => handler().run(command, progress),
      },
    ],
    access: o.access,
    redact,
  });
  ops = createPreviewOps({
    config,
    host: o.shell,
    compose: createComposeClient(o.shell),
    docker: o.docker,
    dns: createRecordingDns(),
    store: h.store,
    redact: h.redact,
    templatePath: `${repoRoot}test/fixtures/preview-templates/healthy.yml`,
    baseDir,
    log: h.log,
  });
  return { ops, h, config, baseDir };
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
