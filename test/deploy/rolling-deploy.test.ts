// Zero-downtime deploys (issue 13 item 3) through real sshd, dockerd and the shared test Caddy: a
// load loop requests the env's host name through Caddy every 50 ms while bringUp runs with
// strategy rolling (v1→v2, back to v1, a v3 that never turns healthy) and with recreate.
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Environment } from "../../src/config/environments-config.js";
import { CaddyProxy } from "../../src/config/proxy-config.js";
import { createRedactor } from "../../src/core/redact.js";
import { createCaddyProxyClient } from "../../src/ops/adapters/caddy-proxy-client.js";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { createComposeClient } from "../../src/ops/adapters/docker-compose-client.js";
import type { ProxyClient } from "../../src/ops/adapters/proxy-client.js";
import type { SshHostShell } from "../../src/ops/adapters/ssh-host-shell.js";
import { bringUp, writeTag, type NodeSteps } from "../../src/ops/deploy/node-steps.js";
import { createDeployOp } from "../../src/ops/deploy/create-deploy-op.js";
import { openStore } from "../../src/store/store.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { envRouteId } from "../../src/ops/deploy/rolling-up.js";
import { env, makeDocker, makeShell } from "../previews/preview-support.js";
import { uniqueName } from "../support/test-env.js";
import { startLoad, type LoadStats } from "./load-loop.js";

const caddy = env.caddy;
if (!caddy) throw new Error("env.json has no caddy section: run bash scripts/test-setup.sh");
const ca = readFileSync(caddy.rootCert, "utf8");
const envName = uniqueName("zd");
const project = envName;
const hostname = `${envName}.preview.test`;
const dir = `${env.previewsDir}/${envName}`;
// v3's healthcheck fails: the image serves "version v3", the check refuses it. The app takes 1 s
// to start (like a real one; the test image alone starts in milliseconds on the same IP).
const COMPOSE = `services:
  web:
    image: opsdeck-test/app:\${IMAGE_TAG}
    command: ["sh", "-c", "trap 'exit 0' TERM INT; sleep 1; httpd -f -p 8080 -h /www & wait"]
    stop_grace_period: 2s
    healthcheck:
      test: ["CMD-SHELL", "if grep -q v3 /www/index.html; then exit 1; fi; wget -q -O /dev/null http://127.0.0.1:8080/"]
      interval: 1s
      timeout: 2s
      retries: 2
`;

let shell: SshHostShell;
let docker: DockerClient;
let proxy: ProxyClient;
const figures: Record<string, LoadStats> = {};

function steps(strategy: "rolling" | "recreate"): NodeSteps {
  const e = Environment.parse({ host: "preview1", compose_dir: dir, project, strategy, pull: "never", health_timeout: "40s", zero_downtime: { services: ["web"], drain: "2s" }, route: { host: hostname, service: "web", port: 8080 } });
  return { target: { host: shell, compose: createComposeClient(shell), docker }, env: e, redact: createRedactor(), fetchFn: fetch, route: { envName, proxy } };
}

async function deploy(s: NodeSteps, tag: string): Promise<void> {
  await writeTag(s, tag);
  await bringUp(s, Date.now() + 40_000, async () => undefined);
}

/** The load loop around one deploy: starts 500 ms before, stops 1 s after; returns the deploy's error, if any. */
async function underLoad(label: string, run: () => Promise<void>): Promise<{ stats: LoadStats; error?: Error }> {
  const load = startLoad(hostname, caddy!.httpsPort, ca);
  await new Promise((r) => setTimeout(r, 500));
  let error: Error | undefined;
  try {
    await run();
  } catch (e) {
    error = e as Error;
  }
  await new Promise((r) => setTimeout(r, 1000));
  const stats = await load.stop();
  figures[label] = stats;
  console.log(`load loop ${label}: ${stats.requests} requests, ${stats.failures} failures, versions ${stats.versions.join(" → ")}${stats.errors.length ? `, first errors: ${stats.errors.join(" | ")}` : ""}`);
  return error ? { stats, error } : { stats };
}

const webContainers = async (): Promise<string[]> => (await docker.listByLabel(`com.docker.compose.project=${project}`)).map((c) => c.id);

beforeAll(async () => {
  shell = makeShell();
  docker = makeDocker(shell);
  proxy = createCaddyProxyClient({ config: CaddyProxy.parse({ driver: "caddy", admin: `unix/${caddy.adminSocket}`, server: caddy.server, tls: "internal", https_port: caddy.httpsPort }), domain: "preview.test", ssh: shell });
  await shell.exec(["mkdir", "-p", dir]);
  await shell.writeFile(`${dir}/docker-compose.yml`, COMPOSE);
});

afterAll(async () => {
  await proxy.removeRoute(envRouteId(envName)).catch(() => false);
  for (const id of await webContainers().catch(() => [])) await docker.removeContainer(id);
  await createComposeClient(shell).down({ name: project, dir }, { volumes: true }).catch(() => undefined);
  await shell.exec(["rm", "-rf", dir]);
  console.log(`zero-downtime figures: ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, { requests: v.requests, failures: v.failures }])))}`);
  await proxy.close();
  await docker.close();
  await shell.close();
});

describe("rolling deploys behind Caddy (real sshd, dockerd, Caddy)", () => {
  it("rolling v1→v2 and rollback v2→v1 drop no request; a v3 that never turns healthy fails, v1 keeps serving; recreate drops requests", async () => {
    const rolling = steps("rolling");
    await deploy(rolling, "v1");
    // The first request also makes Caddy issue the name's certificate: wait for it before measuring.
    const warm = await underLoad("warm-up (first deploy done)", async () => undefined);
    expect(warm.stats.versions).toContain("version v1");

    const up = await underLoad("rolling v1→v2", () => deploy(rolling, "v2"));
    expect(up.error).toBeUndefined();
    expect(up.stats.failures, up.stats.errors.join("\n")).toBe(0);
    expect(up.stats.requests).toBeGreaterThan(40);
    expect(up.stats.versions).toEqual(["version v1", "version v2"]);
    const afterUp = await webContainers();
    expect(afterUp).toHaveLength(1);

    const back = await underLoad("rolling rollback v2→v1", () => deploy(rolling, "v1"));
    expect(back.error).toBeUndefined();
    expect(back.stats.failures, back.stats.errors.join("\n")).toBe(0);
    expect(back.stats.versions).toEqual(["version v2", "version v1"]);
    const serving = await webContainers();
    expect(serving).toHaveLength(1);
    expect(serving).not.toEqual(afterUp);

    const bad = await underLoad("rolling v1→v3 (unhealthy)", () => deploy(rolling, "v3"));
    expect(bad.error?.message).toMatch(/rolling deploy of web: the new container did not turn healthy \(container .* turned unhealthy\)/);
    expect(bad.stats.failures, bad.stats.errors.join("\n")).toBe(0);
    expect(bad.stats.versions).toEqual(["version v1"]);
    expect(await webContainers()).toEqual(serving);

    const recreate = steps("recreate");
    const rec = await underLoad("recreate v1→v2", () => deploy(recreate, "v2"));
    expect(rec.error).toBeUndefined();
    expect(rec.stats.versions.at(-1)).toBe("version v2");
    // The comparison: recreate stops the old container before the new one serves.
    expect(rec.stats.failures).toBeGreaterThan(0);
  }, 240_000);
});

describe("rolling through the deploy op (the path /deploy takes)", () => {
  it("a rolling deploy run by the deploy op with the wired routeFor drops no request", async () => {
    const data = mkdtempSync(join(tmpdir(), "opsdeck-zd-op-"));
    try {
      const e = Environment.parse({ host: "preview1", compose_dir: dir, project, strategy: "rolling", pull: "never", health_timeout: "40s", ref_pattern: "^v[0-9]+$", zero_downtime: { services: ["web"], drain: "2s" }, route: { host: hostname, service: "web", port: 8080 } });
      const op = createDeployOp({
        environments: { [envName]: e },
        targetFor: () => ({ host: shell, compose: createComposeClient(shell), docker }),
        store: await openStore(data),
        redact: createRedactor(),
        // As src/wiring/deploys.ts wires it: the env's host's Caddy.
        routeFor: (name) => ({ envName: name, proxy }),
      });
      const run = await underLoad("deploy op rolling v2→v1", async () => {
        const outcome = await op.run({ env: envName, ref: "v1", kind: "deploy", actor: { platform: "console", id: "local", name: "local" }, progress: async () => undefined });
        if (outcome.record.result !== "succeeded") throw new Error(`deploy ${outcome.record.result}: ${outcome.failedStep ?? ""} ${outcome.logs ?? ""}`.slice(0, 600));
      });
      expect(run.error).toBeUndefined();
      expect(run.stats.failures, run.stats.errors.join("\n")).toBe(0);
      expect(run.stats.versions.at(-1)).toBe("version v1");
    } finally {
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe("rolling with a service not in zero_downtime.services", () => {
  it("the worker goes up the normal way with the new tag; web still rolls with 0 failed requests", async () => {
    const name2 = uniqueName("zdw");
    const host2 = `${name2}.preview.test`;
    const dir2 = `${env.previewsDir}/${name2}`;
    const compose2 = createComposeClient(shell);
    const worker = `  worker:
    image: opsdeck-test/app:\${IMAGE_TAG}
    command: ["sh", "-c", "trap 'exit 0' TERM INT; sleep 3600 & wait"]
    stop_grace_period: 1s
    healthcheck:
      disable: true
`;
    const e = Environment.parse({ host: "preview1", compose_dir: dir2, project: name2, strategy: "rolling", pull: "never", health_timeout: "40s", zero_downtime: { services: ["web"], drain: "1s" }, route: { host: host2, service: "web", port: 8080 } });
    const s: NodeSteps = { target: { host: shell, compose: compose2, docker }, env: e, redact: createRedactor(), fetchFn: fetch, route: { envName: name2, proxy } };
    const imageOf = async (svc: string): Promise<string[]> =>
      (await docker.listByLabel(`com.docker.compose.project=${name2}`)).filter((c) => c.labels["com.docker.compose.service"] === svc && c.state === "running").map((c) => c.image);
    try {
      await shell.exec(["mkdir", "-p", dir2]);
      await shell.writeFile(`${dir2}/docker-compose.yml`, COMPOSE + worker);
      await deploy(s, "v1");
      // The old code rolled web only: the worker was never started.
      expect(await imageOf("worker")).toEqual(["opsdeck-test/app:v1"]);
      const warm = startLoad(host2, caddy.httpsPort, ca);
      await new Promise((r) => setTimeout(r, 1500));
      await warm.stop();

      const load = startLoad(host2, caddy.httpsPort, ca);
      await new Promise((r) => setTimeout(r, 500));
      await deploy(s, "v2");
      await new Promise((r) => setTimeout(r, 1000));
      const stats = await load.stop();
      console.log(`load loop rolling web+worker v1→v2: ${stats.requests} requests, ${stats.failures} failures`);
      expect(stats.failures, stats.errors.join("\n")).toBe(0);
      expect(stats.versions).toEqual(["version v1", "version v2"]);
      expect(await imageOf("worker")).toEqual(["opsdeck-test/app:v2"]);
      expect(await imageOf("web")).toEqual(["opsdeck-test/app:v2"]);
    } finally {
      await proxy.removeRoute(envRouteId(name2)).catch(() => false);
      await compose2.down({ name: name2, dir: dir2 }, { volumes: true, timeoutSeconds: 2 }).catch(() => undefined);
      for (const c of await docker.listByLabel(`com.docker.compose.project=${name2}`).catch(() => [])) await docker.removeContainer(c.id);
      await shell.exec(["rm", "-rf", dir2]);
    }
  }, 120_000);
});
