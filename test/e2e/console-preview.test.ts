// End to end through the real CLI (`opsdeck run "…"`, one process per command, as a script would
// use it) against the real sshd and dockerd: the whole app is built from a config file.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../support/temp-dir.js";
import { createDockerClient } from "../../src/ops/adapters/dockerode-client.js";
import { createSshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { PREVIEW_LABEL } from "../../src/ops/previews/render-template.js";
import { loadTestEnv, repoRoot, uniqueName } from "../support/test-env.js";

const env = loadTestEnv();
const shell = createSshHostShell({ name: "preview1", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 60_000 });
const docker = createDockerClient({ ssh: shell, socketPath: env.dockerSocket });
const baseDirs: string[] = [];

function writeConfig(options: { template: string; healthTimeout?: string; quota?: number }): { path: string; dataDir: string; baseDir: string } {
  const dir = tempDir("opsdeck-e2e-");
  const baseDir = `${env.previewsDir}/${uniqueName("e2e")}`;
  baseDirs.push(baseDir);
  const dataDir = join(dir, "data");
  const path = join(dir, "opsdeck.yaml");
  writeFileSync(
    path,
    `data_dir: ${dataDir}
log_level: warn
http: { enabled: false }
hosts:
  preview1:
    type: ssh
    address: ${env.sshHost}
    port: ${env.sshPort}
    user: ${env.sshUser}
    key_path: ${env.sshKeyPath}
previews:
  host: preview1
  base_dir: ${baseDir}
  domain: preview.test
  url: "http://{hostname}:8080"
  template: ${repoRoot}test/fixtures/preview-templates/${options.template}
  image: "${env.images.busybox}"
  quota: ${options.quota ?? 10}
  min_free_disk_mb: 0
  min_free_memory_mb: 0
  health_timeout: ${options.healthTimeout ?? "30s"}
access:
  roles:
    admin: ["console:local"]
`,
  );
  return { path, dataDir, baseDir };
}

function opsdeck(configPath: string, text: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts", "run", text, "--config", configPath], { cwd: repoRoot, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

afterAll(async () => {
  for (const d of baseDirs) await shell.exec(["rm", "-rf", "--", d], { allowFailure: true });
  await docker.close();
  await shell.close();
});

describe("console one-shot mode, end to end", () => {
  it("deploys, lists, extends and destroys a preview, leaving nothing behind", async () => {
    const cfg = writeConfig({ template: "healthy.yml" });
    const slug = "feature-add-metrics";
    const label = `${PREVIEW_LABEL}=${slug}`;

    const up = opsdeck(cfg.path, "/preview feature/add-metrics --ttl 2d");
    expect(up.code, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toContain("http://preview-feature-add-metrics.preview.test:8080");
    expect(up.stderr).toMatch(/…/); // progress went to stderr
    const containers = await docker.listByLabel(label, { runningOnly: true });
    expect(containers.length).toBeGreaterThan(0);
    expect(containers.find((c) => c.name.includes("app"))?.health).toBe("healthy");

    // The generated credentials exist only in the host's .env (mode 600) and nowhere we wrote.
    const envFile = `${cfg.baseDir}/${slug}/.env`;
    expect((await shell.exec(["stat", "-c", "%a", envFile])).stdout.trim()).toBe("600");
    const secrets = (await shell.readFile(envFile))!
      .split("\n")
      .filter((l) => /^(DB_PASSWORD|APP_SECRET)=/.test(l))
      .map((l) => l.slice(l.indexOf("=") + 1));
    expect(secrets).toHaveLength(2);
    const state = JSON.parse(readFileSync(join(cfg.dataDir, "state.json"), "utf8")) as { previews: Array<Record<string, string>> };
    expect(state.previews[0]).toMatchObject({ slug, branch: "feature/add-metrics", requestedBy: "console:local", status: "running" });
    const expires = Date.parse(state.previews[0]!.expiresAt!);
    expect(Math.abs(expires - (Date.now() + 2 * 86_400_000))).toBeLessThan(5 * 60_000);

    const list = opsdeck(cfg.path, "/preview list");
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(slug);
    expect(list.stdout).toMatch(/expires/i);

    const ext = opsdeck(cfg.path, "/preview extend feature/add-metrics 5d");
    expect(ext.code, ext.stdout).toBe(0);
    const after = JSON.parse(readFileSync(join(cfg.dataDir, "state.json"), "utf8")) as { previews: Array<Record<string, string>> };
    expect(Date.parse(after.previews[0]!.expiresAt!)).toBeGreaterThan(expires + 2 * 86_400_000);

    const confirm = opsdeck(cfg.path, "/preview destroy feature/add-metrics");
    expect(confirm.stdout).toContain(`/preview destroy ${slug} --yes`); // a button, nothing removed yet
    expect(await docker.listByLabel(label, { runningOnly: true })).not.toHaveLength(0);
    const down = opsdeck(cfg.path, `/preview destroy ${slug} --yes`);
    expect(down.code, down.stdout).toBe(0);
    expect(await docker.listByLabel(label)).toEqual([]);
    expect(await docker.listNetworks(label)).toEqual([]);
    expect(await docker.listVolumes(label)).toEqual([]);
    expect((await shell.exec(["test", "-e", `${cfg.baseDir}/${slug}`], { allowFailure: true })).code).not.toBe(0);

    // No credential reached a reply, the log, the state file or the audit trail.
    const everything = [up, list, ext, confirm, down].map((r) => r.stdout + r.stderr).join("\n") + readFileSync(join(cfg.dataDir, "state.json"), "utf8") + readFileSync(join(cfg.dataDir, "audit.jsonl"), "utf8");
    for (const s of secrets) expect(everything).not.toContain(s);
  });

  it("fails with exit code 1 and names the failing service when the app never turns healthy", async () => {
    const cfg = writeConfig({ template: "never-healthy.yml", healthTimeout: "20s" });
    const r = opsdeck(cfg.path, "/preview broken-app");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/app/);
    expect(r.stdout).toMatch(/unhealthy|health/i);
    expect(await docker.listByLabel(`${PREVIEW_LABEL}=broken-app`)).toEqual([]);
  });

  it("reports an operation interrupted by a killed bot, and the half-made preview is listed and destroyable", async () => {
    const cfg = writeConfig({ template: "slow-health.yml", healthTimeout: "60s" });
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "run", "/preview half-made", "--config", cfg.path], { cwd: repoRoot, stdio: "ignore" });
    const statePath = join(cfg.dataDir, "state.json");
    // Wait until the deploy has started its containers, then kill the bot without warning.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const running = existsSync(statePath) && /"status": ?"running"/.test(readFileSync(statePath, "utf8"));
      const containers = await docker.listByLabel(`${PREVIEW_LABEL}=half-made`);
      if (running && containers.length > 0) break;
      if (Date.now() > deadline) throw new Error("the deploy never started");
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    const list = opsdeck(cfg.path, "/preview list");
    expect(list.code, list.stdout + list.stderr).toBe(0);
    expect(list.stderr).toMatch(/interrupted/); // reported at start-up (log / alert channel)
    expect(list.stdout).toContain("half-made");
    const state = JSON.parse(readFileSync(statePath, "utf8")) as { operations: Array<{ status: string; target: string }> };
    expect(state.operations.find((o) => o.target === "half-made")?.status).toBe("interrupted");

    const down = opsdeck(cfg.path, "/preview destroy half-made --yes");
    expect(down.code, down.stdout).toBe(0);
    expect(await docker.listByLabel(`${PREVIEW_LABEL}=half-made`)).toEqual([]);
    expect(await docker.listNetworks(`${PREVIEW_LABEL}=half-made`)).toEqual([]);
    // A restart reports the interruption once, not again.
    const again = opsdeck(cfg.path, "/preview list");
    expect(again.stderr).not.toMatch(/interrupted/);
  });

  it("refuses a second bot process on the same data directory, naming the holder", async () => {
    const cfg = writeConfig({ template: "healthy.yml" });
    const holder = spawn(process.execPath, ["--import", "tsx", "src/main.ts", "--config", cfg.path], { cwd: repoRoot, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    holder.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const deadline = Date.now() + 30_000;
    while (!out.includes("opsdeck console")) {
      if (Date.now() > deadline) throw new Error(`the bot did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const second = opsdeck(cfg.path, "/preview list");
    expect(second.code).toBe(75);
    expect(second.stderr).toContain(`in use by another opsdeck process (pid ${holder.pid})`);
    holder.stdin.end("/quit\n");
    await new Promise((r) => holder.once("exit", r));
    expect(opsdeck(cfg.path, "/help").code).toBe(0);
  });
});
