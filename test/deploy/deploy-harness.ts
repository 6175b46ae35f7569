import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { promisify } from "node:util";
import type { DestinationStream } from "pino";
import { createRouter, type Router } from "../../src/bot/router.js";
import { Environments } from "../../src/config/environments-config.js";
import { SshHost, type Access } from "../../src/config/schema.js";
import { createAuditLog } from "../../src/core/audit-log.js";
import { createAuthorize } from "../../src/core/authorize.js";
import type { Actor, Command, Reply } from "../../src/core/command.js";
import { createLogger } from "../../src/core/logger.js";
import { createMetrics } from "../../src/core/metrics.js";
import type { Notifier } from "../../src/core/notifier.js";
import { createRedactor, type Redactor } from "../../src/core/redact.js";
import { splitCommand } from "../../src/core/validate.js";
import { createAuditHandler } from "../../src/handlers/audit.js";
import { createDeployHandler } from "../../src/handlers/deploy.js";
import { createRollbackHandler } from "../../src/handlers/rollback.js";
import type { ComposeClient } from "../../src/ops/adapters/compose-client.js";
import { createDockerClientForHost, createHostShell } from "../../src/ops/adapters/create-host-shell.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import type { HostShell } from "../../src/ops/adapters/host-shell.js";
import { createApprovalDesk, type ApprovalDesk } from "../../src/ops/approvals/create-approval-desk.js";
import { createApprovals } from "../../src/ops/approvals/create-approvals.js";
import { createDeployOp } from "../../src/ops/deploy/create-deploy-op.js";
import { createDeployRunners } from "../../src/ops/deploy/deploy-runners.js";
import { openStore, type Store } from "../../src/store/store.js";
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

export function connectTestHost(): HostAdapters {
  const cfg = SshHost.parse({ type: "ssh", address: testEnv.sshHost, port: testEnv.sshPort, user: testEnv.sshUser, key_path: testEnv.sshKeyPath, command_timeout: "90s" });
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
  desk: ApprovalDesk;
  notices: Reply[];
  logText(): string;
  auditPath: string;
  auditText(): string;
  send(text: string, actor: Actor): Promise<Sent>;
}

/** A real router with the deploy, rollback and audit handlers over a real store in `dataDir`. */
export async function createDeployWorld(options: { dataDir?: string; host: HostAdapters; environments: unknown; access: Access; clock: () => Date; notices?: Reply[]; hosts?: Record<string, HostAdapters> }): Promise<DeployWorld & { dataDir: string }> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "opsdeck-deploy-"));
  const environments = Environments.parse(options.environments);
  const redact = createRedactor();
  let logged = "";
  const log = createLogger({
    level: "debug",
    redact,
    destination: new Writable({
      write(chunk: Buffer, _enc, cb) {
        logged += chunk.toString();
        cb();
      },
    }) as unknown as DestinationStream, // a Writable is a valid pino destination
  });
  const store = await openStore(dataDir);
  const auditPath = join(dataDir, "audit.jsonl");
  const audit = createAuditLog(auditPath, redact);
  const notices = options.notices ?? [];
  const notifier: Notifier = {
    async notify(reply) {
      notices.push(reply);
    },
  };
  const deploy = createDeployOp({ environments, targetFor: (name) => {
      // `hosts` maps config host names to their own adapters (node groups); the rest use `host`.
      const h = options.hosts?.[name] ?? options.host;
      return { host: h.shell, compose: h.compose, docker: h.docker };
    }, store, redact, log, hostLockLeaseMs: 10 * 60_000 });
  const approvals = createApprovals({ store, access: options.access, clock: options.clock });
  const desk = createApprovalDesk({ approvals, environments, notifier, audit, redact, log, clock: options.clock, runners: createDeployRunners(deploy) });
  const handlers = [
    createDeployHandler({ environments, deploy, desk, store, notifier }),
    createRollbackHandler({ environments, access: options.access, deploy, desk, store, notifier }),
    createAuditHandler({ path: auditPath, environments: Object.keys(environments) }),
  ];
  const router = createRouter({ handlers, authorize: createAuthorize(options.access), audit, log, metrics: createMetrics(), redact, store });
  return {
    dataDir,
    router,
    store,
    redact,
    desk,
    notices,
    auditPath,
    logText: () => logged,
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
      const final = await router.dispatch(command);
      return { final, messages };
    },
  };
}

/** All text of a reply, for searching. */
export function replyText(r: Reply): string {
  return JSON.stringify(r);
}
