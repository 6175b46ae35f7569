import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import type { Router } from "../../src/bot/router.js";
import { SshHost, type Access } from "../../src/config/schema.js";
import type { Actor, Command, Reply } from "../../src/core/command.js";
import type { Redactor } from "../../src/core/redact.js";
import { splitCommand } from "../../src/core/validate.js";
import type { ComposeClient } from "../../src/ops/adapters/compose-client.js";
import { createDockerClientForHost, createHostShell } from "../../src/ops/adapters/create-host-shell.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import type { Store } from "../../src/store/store.js";
import { createTestApp } from "../support/test-app.js";
import { loadTestEnv } from "../support/test-env.js";

const execFileP = promisify(execFile);
export const testEnv = loadTestEnv();

export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await execFileP("docker", args, { timeout: 60_000 });
  return stdout.trim();
}

/** The SSH test host, its compose client and docker client (one connection, like the app). */
export interface HostAdapters {
  shell: HostShell;
  compose: ComposeClient;
  docker: DockerClient;
  close(): Promise<void>;
}

/** The SSH test host as a config `hosts:` entry. */
const testSshHost = { type: "ssh", address: testEnv.sshHost, port: testEnv.sshPort, user: testEnv.sshUser, key_path: testEnv.sshKeyPath, command_timeout: "90s" } as const;

export function connectTestHost(): HostAdapters {
  const cfg = SshHost.parse(testSshHost);
  const shell = createHostShell("test", cfg, { resolvePath: (p) => p, readSecretEnv: () => undefined });
  const dockerClient = createDockerClientForHost(cfg, shell);
  return {
    shell,
    compose: createComposeClient(shell),
    docker: dockerClient,
    async close() {
      await dockerClient.close().catch(() => undefined);
      await shell.close();
    },
  };
}

/** Compose file: app:v1..v3 behind a loopback port; the healthcheck fails on v3 ("never healthy"). */
export function composeFile(port: number, withData = false): string {
  return `services:
  app:
    image: opsdeck-test/app:\${IMAGE_TAG}
    ports:
      - "127.0.0.1:${port}:8080"
    healthcheck:
      test: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:8080/ && ! grep -q v3 /www/index.html"]
      interval: 1s
      timeout: 3s
      retries: 2
    environment:
      DB_PASSWORD: \${DB_PASSWORD:-none}
    # Prints the password at start, so a failed deploy's log tail carries it (and must redact it).
    command: ["sh", "-c", "echo db password is $$DB_PASSWORD; trap 'exit 0' TERM INT; httpd -f -p 8080 -h /www & wait"]
${withData ? "    volumes:\n      - ./data:/data\n" : ""}`;
}

export interface Sent {
  final: Reply;
  /** Every message of this command: the first respond, then its updates (including later edits by the approval desk). */
  messages: Reply[];
}

export interface DeployWorld {
  router: Router;
  store: Store;
  redact: Redactor;
  notices: Reply[];
  logText(): string;
  auditPath: string;
  auditText(): string;
  send(text: string, actor: Actor): Promise<Sent>;
  /** Close the app (a restart over the same data dir closes the old one first); also done when the test file ends. */
  close(): Promise<void>;
}

/**
 * The whole app (`createApp`, the production wiring) over a config naming `environments` and
 * `access`, its state in `dataDir`. Config host `test` is the SSH test host, reached through `host`;
 * each name in `hosts` (node groups) through its own adapters. Alerts land in `notices`.
 */
export async function createDeployWorld(options: { dataDir?: string; host: HostAdapters; environments: unknown; access: Access; clock: () => Date; notices?: Reply[]; hosts?: Record<string, HostAdapters> }): Promise<DeployWorld & { dataDir: string }> {
  const given = { test: options.host, ...options.hosts };
  const notices = options.notices ?? [];
  const { app, dataDir, logText, close } = await createTestApp({
    ...(options.dataDir ? { dataDir: options.dataDir } : {}),
    // Every config host is the SSH test host on paper; the given adapters are what the app uses.
    config: {
      log_level: "debug",
      http: { enabled: false },
      commands_per_minute: 0,
      dns: { provider: "none" },
      hosts: Object.fromEntries(Object.keys(given).map((name) => [name, testSshHost])),
      access: options.access,
      environments: options.environments,
    },
    alertTargets: [{ platform: "test", post: async (reply) => void notices.push(reply) }],
    hostConnections: given,
    approvalClock: options.clock,
  });
  const auditPath = join(dataDir, "audit.jsonl");
  return {
    dataDir,
    router: app.router,
    store: app.store,
    redact: app.redact,
    notices,
    auditPath,
    logText,
    auditText: () => {
      try {
        return readFileSync(auditPath, "utf8");
      } catch {
        return "";
      }
    },
    async send(text, actor) {
      const messages: Reply[] = [];
      const { name, args } = splitCommand(text);
      const command: Command = {
        name,
        args,
        text,
        actor,
        channelId: "C-test",
        respond: async (r) => {
          messages.push(r);
        },
        update: async (r) => {
          messages.push(r);
        },
      };
      const final = await app.router.dispatch(command);
      return { final, messages };
    },
    close,
  };
}

/** All text of a reply, for searching. */
export function replyText(r: Reply): string {
  return JSON.stringify(r);
}
