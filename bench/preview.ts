// Benchmark: `/preview` to healthy and `destroy` to clean on the loopback SSH host, against a plain
// shell pipeline doing the same steps with 2-second health polling. Prints medians.
// Needs `bash scripts/test-setup.sh` first. Usage: npx tsx bench/preview.ts [runs=5]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { Previews } from "../src/config/schema.js";
import { createRedactor } from "../src/core/redact.js";
import { createNoopDns } from "../src/ops/adapters/dns-provider.js";
import { createComposeClient } from "../src/ops/adapters/docker-compose-client.js";
import { createDockerClient } from "../src/ops/adapters/dockerode-client.js";
import { createSshHostShell } from "../src/ops/adapters/ssh-host-shell.js";
import { createPreviewOps } from "../src/ops/previews/create-preview-ops.js";
import { openStore } from "../src/store/store.js";
import { loadTestEnv, repoRoot } from "../test/support/test-env.js";

const runs = Number(process.argv[2] ?? 5);
const env = loadTestEnv();
const template = `${repoRoot}test/fixtures/preview-templates/healthy.yml`;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const actor = { platform: "console" as const, id: "bench", name: "bench" };

async function benchOpsdeck(): Promise<{ up: number[]; down: number[] }> {
  const shell = createSshHostShell({ name: "bench", address: env.sshHost, port: env.sshPort, user: env.sshUser, keyPath: env.sshKeyPath, commandTimeoutMs: 120_000 });
  const docker = createDockerClient({ ssh: shell, socketPath: env.dockerSocket });
  const baseDir = `${env.previewsDir}/bench-${process.pid}`;
  const config = Previews.parse({ host: "bench", base_dir: baseDir, domain: "bench.test", image: env.images.busybox, quota: 50, min_free_disk_mb: 0, min_free_memory_mb: 0, health_timeout: "60s" });
  const store = await openStore(mkdtempSync(join(tmpdir(), "opsdeck-bench-")));
  const ops = createPreviewOps({ config, host: shell, compose: createComposeClient(shell), docker, dns: createNoopDns(), store, redact: createRedactor(), log: pino({ level: "silent" }), templatePath: template, baseDir });
  const up: number[] = [];
  const down: number[] = [];
  const noop = async (): Promise<void> => {};
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await ops.deploy({ branch: `bench-${i}`, actor }, noop);
    up.push(performance.now() - t0);
    const t1 = performance.now();
    await ops.destroy(`bench-${i}`, actor, noop);
    down.push(performance.now() - t1);
  }
  await shell.exec(["rm", "-rf", "--", baseDir], { allowFailure: true });
  await docker.close();
  await shell.close();
  return { up, down };
}

/** The shell pipeline teams run today: ssh per step, compose up, poll health every 2 s. */
function benchShell(): { up: number[]; down: number[] } {
  const ssh = (script: string, ...args: string[]): string =>
    execFileSync("ssh", ["-i", env.sshKeyPath, "-p", String(env.sshPort), "-o", `UserKnownHostsFile=${env.knownHostsPath}`, "-o", "BatchMode=yes", `${env.sshUser}@${env.sshHost}`, script, ...args], { encoding: "utf8" });
  const compose = readFileSync(template, "utf8")
    .replaceAll("{{image}}", env.images.busybox)
    .replaceAll("{{url}}", "http://x")
    .replace(/\{\{(slug|network)\}\}/g, (_m, k: string) => (k === "slug" ? "SLUG" : "NET"));
  const up: number[] = [];
  const down: number[] = [];
  for (let i = 0; i < runs; i++) {
    const slug = `shellbench-${process.pid}-${i}`;
    const dir = `${env.previewsDir}/${slug}`;
    const file = compose.replaceAll("SLUG", slug).replaceAll("NET", `${slug}-net`);
    const t0 = performance.now();
    ssh(`mkdir -p ${dir} && printf 'DB_PASSWORD=%s\\n' "$(head -c 24 /dev/urandom | base64)" > ${dir}/.env && chmod 600 ${dir}/.env`);
    execFileSync("sh", ["-c", `printf '%s' "$1" | ssh -i ${env.sshKeyPath} -p ${env.sshPort} -o UserKnownHostsFile=${env.knownHostsPath} ${env.sshUser}@${env.sshHost} 'cat > ${dir}/docker-compose.yml'`, "sh", file]);
    ssh(`cd ${dir} && docker-compose -p ${slug} config -q && docker-compose -p ${slug} up -d 2>/dev/null`);
    for (;;) {
      const status = ssh(`docker inspect -f '{{.State.Health.Status}}' ${slug}_app_1`).trim();
      if (status === "healthy") break;
      execFileSync("sleep", ["2"]);
    }
    up.push(performance.now() - t0);
    const t1 = performance.now();
    ssh(`cd ${dir} && docker-compose -p ${slug} down -v --remove-orphans 2>/dev/null && rm -rf ${dir}`);
    down.push(performance.now() - t1);
  }
  return { up, down };
}

const fmt = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const o = await benchOpsdeck();
const s = benchShell();
console.log(`runs: ${runs} (loopback SSH host, compose v1, busybox httpd with a 1 s healthcheck)`);
console.log(`opsdeck  /preview → healthy: median ${fmt(median(o.up))}   destroy → clean: median ${fmt(median(o.down))}`);
console.log(`shell    pipeline → healthy: median ${fmt(median(s.up))}   down → clean:    median ${fmt(median(s.down))}`);
console.log(`ratio (opsdeck / shell, command to URL): ${(median(o.up) / median(s.up)).toFixed(2)}  (goal ≤ 0.80)`);
