// The whole app (`createApp`) with previews on the SSH test host, for end-to-end front-end tests:
// the test's own shell and Docker client are the app's connection to host `preview1`, the compose
// template is test/fixtures/preview-templates/healthy.yml, and nothing else is configured.
import type { Access, Previews } from "../../src/config/schema.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import type { PreviewOps } from "../../src/ops/previews/preview-types.js";
import { env } from "../previews/preview-support.js";
import { harnessFromApp, type Harness } from "./router-harness.js";
import { createTestApp } from "./test-app.js";
import { repoRoot } from "./test-env.js";

export interface PreviewApp {
  ops: PreviewOps;
  /** The app's router, store and log as a harness. */
  h: Harness;
  config: Previews;
}

export async function createPreviewApp(o: { shell: SshHostShell; docker: DockerClient; access: Access; baseDir: string; healthTimeout?: string }): Promise<PreviewApp> {
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
        base_dir: o.baseDir,
        domain: "preview.test",
        url: "http://{hostname}:8080",
        image: env.images.busybox,
        quota: 20,
        min_free_disk_mb: 0,
        min_free_memory_mb: 0,
        health_timeout: o.healthTimeout ?? "40s",
        log_tail_lines: 10,
        dns_target: "127.0.0.1",
        template: `${repoRoot}test/fixtures/preview-templates/healthy.yml`,
      },
    },
    hostConnections: { preview1: { shell: o.shell, docker: o.docker } },
  });
  const { app, config } = t;
  if (!app.previews || !config.previews) throw new Error("preview app: built without previews");
  return { ops: app.previews, h: harnessFromApp(t), config: config.previews };
}
