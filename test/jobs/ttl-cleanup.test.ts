import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/temp-dir.js";
import type { Actor, Reply } from "../../src/core/command.js";
import { createRedactor } from "../../src/core/redact.js";
import { getJobRuns } from "../../src/jobs/job-state.js";
import { createScheduler } from "../../src/jobs/scheduler.js";
import { createTtlCleanupJob, type ExpiredPreviews } from "../../src/jobs/ttl-cleanup-job.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { createDockerClient } from "../../src/ops/adapters/dockerode-client.js";
import { createSshHostShell, type SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { openStore } from "../../src/store/store.js";
import { captureLog } from "../fakes/capture-log.js";
import { loadTestEnv, uniqueName } from "../support/test-env.js";

const execFileP = promisify(execFile);
const env = loadTestEnv();
const docker = async (...args: string[]): Promise<string> => (await execFileP("docker", args, { timeout: 60_000 })).stdout.trim();

/**
 * `docker load` a one-file image whose config says it was created at `created`, with a label
 * only this test uses (so the prune in the test cannot touch other tests' images).
 */
async function loadImage(tag: string, created: string, label: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "opsdeck-img-"));
  try {
    mkdirSync(join(dir, "rootfs"));
    writeFileSync(join(dir, "rootfs", "hello.txt"), `${tag}\n`);
    await execFileP("tar", ["-cf", join(dir, "layer.tar"), "-C", join(dir, "rootfs"), "hello.txt"]);
    const diffId = `sha256:${createHash("sha256").update(readFileSync(join(dir, "layer.tar"))).digest("hex")}`;
    const config = {
      architecture: "amd64",
      os: "linux",
      created,
      config: { Labels: { "opsdeck.test": label }, Cmd: ["/hello.txt"] },
      rootfs: { type: "layers", diff_ids: [diffId] },
      history: [{ created, created_by: "opsdeck test" }],
    };
    writeFileSync(join(dir, "config.json"), JSON.stringify(config));
    writeFileSync(join(dir, "manifest.json"), JSON.stringify([{ Config: "config.json", RepoTags: [tag], Layers: ["layer.tar"] }]));
    await execFileP("tar", ["-cf", join(dir, "image.tar"), "-C", dir, "manifest.json", "config.json", "layer.tar"]);
    await docker("load", "-i", join(dir, "image.tar"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const imageExists = async (tag: string): Promise<boolean> => (await docker("images", "-q", tag)) !== "";

/** The preview operations as ttl-cleanup sees them: expired records, and a destroy that records its calls. */
function previewsSource(expired: Array<{ slug: string; fails?: boolean }>): ExpiredPreviews & { destroyed: Array<{ slug: string; actor: Actor }> } {
  const destroyed: Array<{ slug: string; actor: Actor }> = [];
  return {
    destroyed,
    listExpired: async () => expired.filter((p) => !destroyed.some((d) => d.slug === p.slug)).map(({ slug }) => ({ slug })),
    async destroy(slug, actor) {
      if (expired.find((p) => p.slug === slug)?.fails) throw new Error(`compose down failed for ${slug}`);
      destroyed.push({ slug, actor });
      return { slug };
    },
  };
}

let shell: SshHostShell;
let dockerClient: DockerClient;
const label = uniqueName("ttl");
const oldTag = `opsdeck-test/${uniqueName("old")}:1`;
const newTag = `opsdeck-test/${uniqueName("new")}:1`;
const volume = uniqueName("ttl-vol");
const poolLabel = uniqueName("ttl-pool");
const poolOldTag = `opsdeck-test/${uniqueName("pool-old")}:1`;

beforeAll(async () => {
  shell = createSshHostShell({ name: "preview1", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
  dockerClient = createDockerClient({ ssh: shell, socketPath: env.dockerSocket });
  await loadImage(oldTag, "2020-01-01T00:00:00Z", label);
  await loadImage(newTag, new Date().toISOString(), label);
  await loadImage(poolOldTag, "2020-01-01T00:00:00Z", poolLabel);
  await docker("volume", "create", "--label", `opsdeck.test=${label}`, volume);
}, 60_000);

afterAll(async () => {
  await dockerClient?.close();
  await shell?.close();
  await docker("rmi", "-f", oldTag, newTag, poolOldTag).catch(() => "");
  await docker("volume", "rm", "-f", volume).catch(() => "");
});

function setup(options: { threshold: number; expired: Array<{ slug: string; fails?: boolean }> }) {
  const alerts: Reply[] = [];
  const previews = previewsSource(options.expired);
  const job = createTtlCleanupJob({
    previews,
    host: shell,
    docker: dockerClient,
    diskPath: env.previewsDir,
    cron: "*/30 * * * *",
    thresholdPercent: options.threshold,
    pruneOlderThanMs: 72 * 3_600_000,
    notifier: { notify: async (r) => void alerts.push(r) },
    pruneLabel: `opsdeck.test=${label}`,
  });
  return { job, previews, alerts };
}

describe("ttl-cleanup", () => {
  it("destroys expired previews, announces each, and does not prune while the disk is below the threshold", async () => {
    const { job, previews, alerts } = setup({ threshold: 100, expired: [{ slug: "feature-a" }, { slug: "feature-b" }] });
    const { summary } = await job.run({ now: new Date(), trigger: "schedule" });
    expect(previews.destroyed.map((d) => d.slug)).toEqual(["feature-a", "feature-b"]);
    expect(previews.destroyed[0]?.actor).toEqual({ platform: "job", id: "ttl-cleanup", name: "ttl-cleanup" });
    expect(alerts.map((a) => a.title)).toEqual(["preview feature-a expired and was destroyed", "preview feature-b expired and was destroyed"]);
    expect(summary).toMatch(/^destroyed 2 expired preview\(s\) \(feature-a, feature-b\); disk \d+ % \(prune above 100 %\)$/);
    expect(await imageExists(oldTag)).toBe(true);
  }, 60_000);

  it("above the threshold prunes only images older than 72 h, never volumes; a failed destroy is reported through the scheduler", async () => {
    const { job, previews, alerts } = setup({ threshold: 0, expired: [{ slug: "stuck", fails: true }, { slug: "feature-c" }] });
    const store = await openStore(tempDir("opsdeck-ttl-"));
    const scheduler = createScheduler({ jobs: [job], store, notifier: { notify: async (r) => void alerts.push(r) }, redact: createRedactor(), log: captureLog().log, timeZone: "UTC" });
    const run = await scheduler.runNow("ttl-cleanup", "console:local");

    expect(run.result).toBe("failed");
    expect(previews.destroyed.map((d) => d.slug)).toEqual(["feature-c"]);
    expect(alerts.map((a) => a.title)).toEqual(["preview feature-c expired and was destroyed", "job ttl-cleanup failed"]);
    expect(alerts[1]?.code).toBe("stuck: compose down failed for stuck");
    expect(run.summary).toMatch(/pruned images older than 72h, reclaimed \S+/);
    expect(getJobRuns(store.read())[0]?.result).toBe("failed");
    expect(await imageExists(oldTag)).toBe(false);
    expect(await imageExists(newTag)).toBe(true);
    expect(await docker("volume", "ls", "-q", "--filter", `name=${volume}`)).toBe(volume);
  }, 60_000);

  it("checks the disk and prunes on every pool host; an unreachable host is reported and does not stop the others", async () => {
    // Two host names on the one test sshd (and its dockerd), plus one whose sshd is not there.
    const shell2 = createSshHostShell({ name: "preview2", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
    const down = createSshHostShell({ name: "preview-down", address: "127.0.0.1", port: 1, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 5_000 });
    const docker2 = createDockerClient({ ssh: shell2, socketPath: env.dockerSocket });
    const dockerDown = createDockerClient({ ssh: down, socketPath: env.dockerSocket });
    try {
      const job = createTtlCleanupJob({
        previews: previewsSource([]),
        host: shell,
        docker: dockerClient,
        diskPath: env.previewsDir,
        hosts: [
          // Below the threshold: this host does not prune; preview2, over it, does (the old code checked the first host only, and never named an unreachable one).
          { name: "preview1", host: shell, docker: dockerClient, diskPath: env.previewsDir, diskUsePercent: async () => 0 },
          { name: "preview-down", host: down, docker: dockerDown, diskPath: env.previewsDir },
          { name: "preview2", host: shell2, docker: docker2, diskPath: env.previewsDir },
        ],
        cron: "*/30 * * * *",
        thresholdPercent: 0,
        pruneOlderThanMs: 72 * 3_600_000,
        notifier: { notify: async () => undefined },
        pruneLabel: `opsdeck.test=${poolLabel}`,
      });
      const message = await job.run({ now: new Date(), trigger: "test" }).then(() => "passed", (e: Error) => e.message);
      expect(message).toMatch(/^ttl-cleanup could not check or prune 1 preview host\(s\); destroyed 0 expired preview\(s\); preview1: disk 0 % \(prune above 0 %\); preview-down: disk check\/prune failed; preview2: disk \d+ % > 0 %: pruned images older than 72h, reclaimed \S+$/);
      // preview2's own disk check found it over the threshold and pruned there.
      expect(await imageExists(poolOldTag)).toBe(false);
      expect(await imageExists(newTag)).toBe(true);
    } finally {
      await docker2.close();
      await dockerDown.close().catch(() => undefined);
      await shell2.close();
      await down.close().catch(() => undefined);
    }
  }, 60_000);
});
