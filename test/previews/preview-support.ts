// Shared set-up for the preview end-to-end tests: the real SSH host shell, compose and dockerode
// clients against the test sshd/dockerd, a real router/store/audit/log (router-harness), and a
// recording DNS provider standing in for the external DNS API.
import { Previews } from "../../src/config/schema.js";
import type { Reply } from "../../src/core/command.js";
import { createRedactor } from "../../src/core/redact.js";
import type { Handler } from "../../src/handlers/handler.js";
import { createPreviewHandler } from "../../src/handlers/preview.js";
import type { DnsProvider, DnsRecordSpec } from "../../src/ops/adapters/dns-provider.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import { createDockerClient } from "../../src/ops/adapters/dockerode-client.js";
import { createSshHostShell, type SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { createPreviewOps } from "../../src/ops/previews/create-preview-ops.js";
import type { PreviewOps, PreviewOpsOptions } from "../../src/ops/previews/preview-types.js";
import { PREVIEW_LABEL } from "../../src/ops/previews/render-template.js";
import { createHarness, type Harness } from "../support/router-harness.js";
import { loadTestEnv, repoRoot, uniqueName } from "../support/test-env.js";

export const env = loadTestEnv();

export interface RecordingDns extends DnsProvider {
  records: Map<string, DnsRecordSpec>;
  calls: string[];
}

/** Keeps records in memory, like a DNS API would; `kind` is not `none`, so removals are reported. */
export function createRecordingDns(): RecordingDns {
  const records = new Map<string, DnsRecordSpec>();
  const calls: string[] = [];
  return {
    kind: "recording",
    records,
    calls,
    async upsert(record) {
      calls.push(`upsert ${record.name}`);
      records.set(record.name, record);
    },
    async remove(name) {
      calls.push(`remove ${name}`);
      records.delete(name);
    },
  };
}

export function makeShell(): SshHostShell {
  return createSshHostShell({ name: "preview1", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
}

export interface PreviewRig {
  ops: PreviewOps;
  handler: Handler;
  h: Harness;
  dns: RecordingDns;
  config: Previews;
  baseDir: string;
  send(text: string): Promise<{ final: Reply; messages: Reply[] }>;
}

export interface RigOptions {
  shell: SshHostShell;
  docker: DockerClient;
  /** A file in test/fixtures/preview-templates, or an absolute path. */
  template?: string;
  config?: Record<string, unknown>;
  baseDir?: string;
  /** Data directory for the store and audit log (default: a fresh temp dir). */
  dataDir?: string;
  extra?: Partial<PreviewOpsOptions>;
}

/** Preview ops + handler behind a real router; a fresh base directory under the test previews dir. */
export async function makeRig(o: RigOptions): Promise<PreviewRig> {
  const baseDir = o.baseDir ?? `${env.previewsDir}/${uniqueName("pvt")}`;
  const config = Previews.parse({
    host: "preview1",
    base_dir: baseDir,
    domain: "preview.test",
    url: "http://{hostname}:8080",
    image: env.images.busybox,
    quota: 20,
    min_free_disk_mb: 0,
    min_free_memory_mb: 0,
    health_timeout: "25s",
    log_tail_lines: 10,
    dns_target: "127.0.0.1",
    ...o.config,
  });
  let inner: Handler | undefined;
  const lazy: Handler = {
    name: "preview",
    summary: "preview",
    usage: [],
    prepare(args) { return { permission: this.permission(args), run: (c, p) => this.run(c, p) }; }, // a fixture: it parses in permission and run
    permission: (args) => (inner as Handler).permission(args),
    run: (command, progress) => (inner as Handler).run(command, progress),
  };
  const h = await createHarness({ handlers: [lazy], redact: createRedactor(), ...(o.dataDir ? { dataDir: o.dataDir } : {}) });
  const dns = createRecordingDns();
  const template = o.template ?? "healthy.yml";
  const ops = createPreviewOps({
    config,
    host: o.shell,
    compose: createComposeClient(o.shell),
    docker: o.docker,
    dns,
    store: h.store,
    redact: h.redact,
    templatePath: template.startsWith("/") ? template : `${repoRoot}test/fixtures/preview-templates/${template}`,
    baseDir,
    log: h.log,
    ...o.extra,
  });
  inner = createPreviewHandler({ ops, config });
  return { ops, handler: inner, h, dns, config, baseDir, send: (text) => h.send(text) };
}

export function makeDocker(shell: SshHostShell): DockerClient {
  return createDockerClient({ ssh: shell, socketPath: env.dockerSocket });
}

/** Distinct preview slugs with running containers on the shared dockerd (other tests' too). */
export async function runningSlugs(docker: DockerClient): Promise<Set<string>> {
  const cs = await docker.listByLabel(PREVIEW_LABEL, { runningOnly: true });
  return new Set(cs.map((c) => c.labels[PREVIEW_LABEL] ?? "").filter((s) => s !== ""));
}

/** What is left of a preview on the host: containers, networks, volumes, its directory. */
export async function leftovers(shell: SshHostShell, docker: DockerClient, slug: string, dir: string): Promise<string[]> {
  const label = `${PREVIEW_LABEL}=${slug}`;
  const left = [
    ...(await docker.listByLabel(label)).map((c) => `container ${c.name}`),
    ...(await docker.listNetworks(label)).map((n) => `network ${n}`),
    ...(await docker.listVolumes(label)).map((v) => `volume ${v}`),
  ];
  if ((await shell.exec(["test", "-e", dir], { allowFailure: true })).code === 0) left.push(`dir ${dir}`);
  return left;
}

/** Best-effort removal of anything a test left behind (by label), plus its base directory. */
export async function forceClean(shell: SshHostShell, docker: DockerClient, slugs: string[], baseDir: string): Promise<void> {
  for (const slug of slugs) {
    const label = `${PREVIEW_LABEL}=${slug}`;
    const ids = (await docker.listByLabel(label).catch(() => [])).map((c) => c.id);
    if (ids.length > 0) await shell.exec(["docker", "rm", "-f", "-v", ...ids], { allowFailure: true });
    const nets = await docker.listNetworks(label).catch(() => []);
    if (nets.length > 0) await shell.exec(["docker", "network", "rm", ...nets], { allowFailure: true });
    const vols = await docker.listVolumes(label).catch(() => []);
    if (vols.length > 0) await shell.exec(["docker", "volume", "rm", "-f", ...vols], { allowFailure: true });
  }
  if (baseDir.startsWith(`${env.previewsDir}/`)) await shell.exec(["rm", "-rf", "--", baseDir], { allowFailure: true });
}

/** Every string a reply carries, for "no secret anywhere" checks. */
export function replyText(replies: Reply[]): string {
  return JSON.stringify(replies);
}
