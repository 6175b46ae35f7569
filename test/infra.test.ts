// Checks that the local test infrastructure prepared by scripts/test-setup.sh really works.
import { execFile } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, it, expect } from "vitest";
import { loadTestEnv, uniqueName } from "./support/test-env.js";

const execFileP = promisify(execFile);
const env = loadTestEnv();

async function run(cmd: string, args: string[]): Promise<string> {
  const { stdout } = await execFileP(cmd, args, { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

function ssh(...command: string[]): Promise<string> {
  return run("ssh", [
    "-i", env.sshKeyPath,
    "-p", String(env.sshPort),
    "-o", "StrictHostKeyChecking=yes",
    "-o", `UserKnownHostsFile=${env.knownHostsPath}`,
    "-o", "BatchMode=yes",
    "-o", "LogLevel=ERROR",
    `${env.sshUser}@${env.sshHost}`,
    "--",
    ...command,
  ]);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitHealthy(container: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let status = "";
  while (Date.now() < deadline) {
    status = (await run("docker", ["inspect", "-f", "{{.State.Health.Status}}", container])).trim();
    if (status === "healthy") return;
    await sleep(200);
  }
  throw new Error(`container ${container} not healthy after ${timeoutMs} ms (last status: ${status})`);
}

describe("test infrastructure", () => {
  it("ssh to the test user works and the user is in the docker group", async () => {
    const id = await ssh("id");
    expect(id).toMatch(new RegExp(`^uid=\\d+\\(${env.sshUser}\\)`));
    expect(id).toMatch(/\(docker\)/);
    // docker over ssh (group membership is effective in the session)
    await ssh("docker", "ps", "-q");
  });

  it("the previews directory exists and belongs to the test user", async () => {
    const owner = (await ssh("stat", "-c", "%U", env.previewsDir)).trim();
    expect(owner).toBe(env.sshUser);
    expect(statSync(env.previewsDir).isDirectory()).toBe(true);
  });

  it("postgres and redis binaries are where env.json says", () => {
    expect(existsSync(join(env.pgBin, "pg_ctl"))).toBe(true);
    expect(existsSync(join(env.pgBin, "initdb"))).toBe(true);
    expect(existsSync(env.redisServer)).toBe(true);
  });

  it("the busybox image runs", async () => {
    const out = await run("docker", ["run", "--rm", env.images.busybox, "cat", "/www/index.html"]);
    expect(out.length).toBeGreaterThan(0);
  });

  it("the app images differ by version", async () => {
    const bodies = await Promise.all(
      env.images.app.map((image) => run("docker", ["run", "--rm", image, "cat", "/www/index.html"])),
    );
    expect(bodies.map((b) => b.trim())).toEqual(["version v1", "version v2", "version v3"]);
  });

  it("app:v2 becomes healthy and serves its version over http", async () => {
    const image = env.images.app[1];
    expect(image).toBeDefined();
    const name = uniqueName("infra-app-v2");
    try {
      await run("docker", ["run", "-d", "--name", name, String(image)]);
      await waitHealthy(name);
      const body = await run("docker", ["exec", name, "wget", "-q", "-O", "-", "http://127.0.0.1:8080/"]);
      expect(body.trim()).toBe("version v2");
      // PID 1 exits on SIGTERM, so a graceful stop is fast (not the 10 s kill timeout).
      const started = Date.now();
      await run("docker", ["stop", name]);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await run("docker", ["rm", "-f", name]).catch(() => undefined);
    }
  });

  it("uniqueName gives distinct DNS-safe names", () => {
    const names = new Set<string>();
    for (let i = 0; i < 100; i++) names.add(uniqueName("Infra_Test.Name"));
    expect(names.size).toBe(100);
    for (const n of names) expect(n).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(uniqueName("x".repeat(100)).length).toBeLessThanOrEqual(63);
  });
});
