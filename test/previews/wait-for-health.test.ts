// waitForHealth against the real dockerd over the test sshd: one ordered event stream, and a
// `healthy` event settles the wait from the last listing plus the events since.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import type { DockerClient } from "../../src/ops/adapters/docker-client.js";
import { waitForHealth } from "../../src/ops/wait-for-health.js";
import { uniqueName } from "../support/test-env.js";
import { env, makeDocker, makeShell } from "./preview-support.js";

const run = promisify(execFile);
const shell = makeShell();
const realDocker = makeDocker(shell);
const markers: string[] = [];

afterAll(async () => {
  for (const m of markers) {
    const { stdout } = await run("docker", ["ps", "-aq", "--filter", `label=opsdeck.test=${m}`]);
    const ids = stdout.split("\n").filter(Boolean);
    if (ids.length > 0) await run("docker", ["rm", "-f", ...ids]).catch(() => {});
  }
  await realDocker.close();
  await shell.close();
});

/** An app that turns healthy once /tmp/ready exists (1 s probes) and a worker without a healthcheck. */
async function start(marker: string): Promise<{ app: string; worker: string }> {
  markers.push(marker);
  const cmd = ["sh", "-c", "trap 'exit 0' TERM INT; sleep 3600 & wait"];
  const common = ["run", "-d", "--label", `opsdeck.test=${marker}`];
  const app = (await run("docker", [...common, "--health-cmd", "test -e /tmp/ready", "--health-interval", "1s", "--health-retries", "30", env.images.busybox, ...cmd])).stdout.trim();
  const worker = (await run("docker", [...common, "--no-healthcheck", env.images.busybox, ...cmd])).stdout.trim();
  return { app, worker };
}

/** The real client; notes each listing and resolves `listed` after the first one. */
function counting(): { docker: DockerClient; lists: () => number; listed: Promise<void> } {
  let n = 0;
  let first!: () => void;
  const listed = new Promise<void>((resolve) => (first = resolve));
  const docker: DockerClient = {
    ...realDocker,
    async listByLabel(label, opts) {
      const r = await realDocker.listByLabel(label, opts);
      n++;
      first();
      return r;
    },
  };
  return { docker, lists: () => n, listed };
}

describe("waitForHealth (real dockerd over SSH)", () => {
  it("a healthy event settles the wait from the first listing and the events since, without listing again", async () => {
    const marker = uniqueName("wfh");
    const { app } = await start(marker);
    const c = counting();
    const waiting = waitForHealth(c.docker, `opsdeck.test=${marker}`, 30_000, { recheckMs: 60_000 });
    await c.listed; // the app is still starting in that listing
    await run("docker", ["exec", app, "touch", "/tmp/ready"]);
    const outcome = await waiting;
    expect(outcome.ok).toBe(true);
    expect(outcome.containers.map((x) => x.health).sort()).toEqual(["healthy", "none"]);
    expect(c.lists()).toBe(1);
  });

  it("a worker that died before the app turned healthy still fails the wait (the die came first on the stream)", async () => {
    const marker = uniqueName("wfd");
    const { app, worker } = await start(marker);
    const c = counting();
    const waiting = waitForHealth(c.docker, `opsdeck.test=${marker}`, 30_000, { recheckMs: 60_000 });
    await c.listed;
    await run("docker", ["kill", worker]);
    await run("docker", ["exec", app, "touch", "/tmp/ready"]);
    const outcome = await waiting;
    expect(outcome.ok).toBe(false);
    if (!outcome.ok) expect(outcome.failing.map((x) => x.id)).toEqual([worker]);
  });

  it("`include` leaves out containers that are not part of the set (an exited one-off), which fail the wait otherwise", async () => {
    const marker = uniqueName("wfi");
    const { app } = await start(marker);
    await run("docker", ["run", "--label", `opsdeck.test=${marker}`, "--label", "com.docker.compose.oneoff=True", env.images.busybox, "true"]);
    await run("docker", ["exec", app, "touch", "/tmp/ready"]);
    const label = `opsdeck.test=${marker}`;
    const all = await waitForHealth(realDocker, label, 30_000);
    expect(all.ok).toBe(false);
    if (!all.ok) expect(all.reason).toBe("exited");
    const services = await waitForHealth(realDocker, label, 30_000, { include: (x) => x.labels["com.docker.compose.oneoff"] !== "True" });
    expect(services.ok).toBe(true);
    expect(services.containers.map((x) => x.health).sort()).toEqual(["healthy", "none"]);
  });

  it("`noneFails` settles as `none` at once when nothing matches; without it the wait runs to its timeout", async () => {
    const label = `opsdeck.test=${uniqueName("wfn")}`;
    const t0 = Date.now();
    const none = await waitForHealth(realDocker, label, 20_000, { noneFails: true });
    expect(none).toEqual({ ok: false, reason: "none", failing: [], containers: [] });
    expect(Date.now() - t0).toBeLessThan(15_000);
    const waited = await waitForHealth(realDocker, label, 1_500);
    expect(waited.ok).toBe(false);
    if (!waited.ok) expect(waited.reason).toBe("timeout");
  });
});
