// Shared set-up for the four-front-ends test: the whole app (`createApp`) with previews on the
// SSH test host (real sshd + dockerd, healthy.yml template), reached through the test's own
// connection, and an access config that names an actor on every platform.
import type { Access, Previews } from "../../src/config/schema.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import type { PreviewOps } from "../../src/ops/previews/preview-types.js";
import { env } from "../previews/preview-support.js";
import { harnessFromApp, type Harness } from "../support/router-harness.js";
import { createTestApp } from "../support/test-app.js";
import { repoRoot, uniqueName } from "../support/test-env.js";

export interface FrontEndRig {
  ops: PreviewOps;
  h: Harness;
  config: Previews;
  baseDir: string;
}

/** The app with previews on host `preview1` (the given shell), authorising with `access`; a fresh base directory. */
export async function makeFrontEndRig(o: { shell: SshHostShell; docker: DockerClient; access: Access }): Promise<FrontEndRig> {
  const baseDir = `${env.previewsDir}/${uniqueName("fe4")}`;
  const t = await createTestApp({
    config: {
      log_level: "debug",
      http: { enabled: false },
      commands_per_minute: 0,
      dns: { provider: "none" },
      // On paper the SSH test host; the app uses the test's connection (`hostConnections`).
      hosts: { preview1: { type: "ssh", address: env.sshHost, port: env.sshPort, user: env.sshUser, key_path: env.sshKeyPath, command_timeout: "60s" } },
      access: o.access,
      previews: {
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
        template: `${repoRoot}test/fixtures/preview-templates/healthy.yml`,
      },
    },
    hostConnections: { preview1: { shell: o.shell, docker: o.docker } },
  });
  const { app, config } = t;
  if (!app.previews || !config.previews) throw new Error("front-end rig: the app was built without previews");
  return { ops: app.previews, h: harnessFromApp(t), config: config.previews, baseDir };
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
