// The app wires `previews.hosts` as a pool: /preview list walks every configured host (two on the
// test sshd, one on a closed loopback port) and reports the unreachable one without failing.
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import type { DestinationStream } from "pino";
import { afterAll, expect, it } from "vitest";
import { createApp, type App } from "../../src/app.js";
import { parseConfig } from "../../src/config/load-config.js";
import type { Command, Reply } from "../../src/core/command.js";
import { env } from "./preview-support.js";

let app: App | undefined;
const dir = mkdtempSync(join(tmpdir(), "opsdeck-pool-app-"));

afterAll(async () => {
  await app?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

it("/preview list in the app walks every pool host and reports the unreachable one", async () => {
  const ssh = (port: number): string => `{ type: ssh, address: ${env.sshHost}, port: ${port}, user: ${env.sshUser}, key_path: ${env.sshKeyPath}, command_timeout: 20s, docker_socket: ${env.dockerSocket} }`;
  const yaml = `data_dir: ${dir}/data
http: { enabled: false }
hosts:
  preview1: ${ssh(env.sshPort)}
  preview2: ${ssh(env.sshPort)}
  preview3: ${ssh(await closedLoopbackPort())}
previews:
  hosts: [preview1, preview2, preview3]
  base_dir: ${env.previewsDir}/pool-app-1
  base_dirs: { preview2: ${env.previewsDir}/pool-app-2 }
  domain: preview.test
  image: "busybox:{ref}"
dns: { provider: none }
access:
  roles: { admin: ["console:local"] }
  rules: {}
`;
  const sink = new Writable({ write: (_c, _e, cb) => cb() }) as unknown as DestinationStream; // a Writable is a valid pino destination
  app = await createApp({ loaded: { config: parseConfig(yaml, "test config"), path: join(dir, "opsdeck.yaml"), baseDir: process.cwd() }, env: {}, logDestination: sink });
  const messages: Reply[] = [];
  const command: Command = {
    name: "preview", args: ["list"], text: "/preview list", actor: { platform: "console", id: "local", name: "local" }, channelId: "test",
    respond: async (r) => void messages.push(r), update: async (r) => void messages.push(r),
  };
  const final = await app.router.dispatch(command);
  expect(final.title).toMatch(/ on preview1, preview2, preview3( \(\d+\))?$/);
  expect(final.status).toBe("warning");
  expect(final.lines?.join("\n")).toMatch(/could not list containers on preview3: /);
  expect(final.lines?.join("\n")).not.toMatch(/could not list containers on preview[12]/);
}, 60_000);
